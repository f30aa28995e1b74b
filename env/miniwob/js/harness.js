// harness.js is injected by env/miniwob into every document of its tabs. It
// reads the page for the Go side: the episode outcome under both page
// protocols, the instruction, and the page's visible elements (the
// information MiniWoB++'s DOM info carries: ref, tag, id, classes, text,
// value, focus and bounding box). It resolves element references for
// actions and keeps the episode clock that the decayed reward is measured
// on. It never changes what a page shows: refs live in JavaScript
// properties of the elements, not in the DOM.
window.__wobH = (function () {
  // The observed area (the crop of the screenshot); set by the Go side.
  var W = 160, H = 210;
  // Elements the official DOM info leaves out: the score panel, the start
  // cover, the click-trace canvas and the instruction bar.
  var SKIP = { "reward-display": 1, "sync-task-cover": 1, "click-canvas": 1, "query": 1,
    "attention-canvas": 1, "query-wrap": 1 };
  var INTERACTIVE = { A: 1, BUTTON: 1, INPUT: 1, SELECT: 1, OPTION: 1, TEXTAREA: 1, LABEL: 1 };
  var epoch = 1, nextRef = 1, byRef = {}, listed = [];
  var pausedAt = null, ownT0 = 0;
  var MAX_TEXT = 60, MAX_CLASSES = 3;

  function squash(s) { return String(s == null ? "" : s).replace(/\s+/g, " ").trim(); }

  // refOf numbers elements in the order the walk first meets them; a ref
  // stays with its element for the rest of the episode.
  function refOf(el) {
    if (el.__wobEp !== epoch) {
      el.__wobEp = epoch;
      el.__wobRef = nextRef++;
    }
    byRef[el.__wobRef] = el;
    return el.__wobRef;
  }

  // classesOf keeps the first few whole classes: enough to tell widgets
  // apart without filling the prompt.
  function classesOf(el) {
    var c = squash(el.getAttribute && el.getAttribute("class"));
    return c ? c.split(" ").slice(0, MAX_CLASSES).join(" ") : "";
  }

  function tagOf(el) {
    var t = el.tagName.toLowerCase();
    if (t === "input") t += "_" + (el.type || "text");
    return t;
  }

  function visible(el) {
    if (!el.checkVisibility) return true;
    return el.checkVisibility({ visibilityProperty: true, opacityProperty: true });
  }

  function interactive(el) {
    if (INTERACTIVE[el.tagName]) return true;
    if (el.hasAttribute("onclick") || el.hasAttribute("role") || el.hasAttribute("tabindex") ||
        el.isContentEditable) return true;
    return el instanceof SVGElement && el.tagName.toLowerCase() !== "svg" && el.tagName.toLowerCase() !== "g";
  }

  // walk visits el's subtree in document order. Like the official DOM info
  // it leaves out elements without area, but it still visits their
  // children (a page whose content is positioned absolutely has a body of
  // height 0); hidden subtrees are skipped. It lists leaves and the
  // non-leaf elements a user can act on or that carry text of their own,
  // which leaves out pure layout containers. dx, dy offset the boxes of a
  // same-origin iframe's document into the top page.
  function walk(el, dx, dy, out) {
    if (el.id && SKIP[el.id]) return;
    if (!visible(el)) return;
    var r = el.getBoundingClientRect(), hasBox = r.width > 0 && r.height > 0;
    var ref = refOf(el), own = [], kids = [];
    el.childNodes.forEach(function (c) {
      if (c.nodeType === 3) { if (/\S/.test(c.data)) own.push(c.data); }
      else if (c.nodeType === 1 && c.tagName !== "SCRIPT" && c.tagName !== "STYLE") kids.push(c);
    });
    var leaf = kids.length === 0;
    var text = squash(own.join(" "));
    var dropDown = el.tagName === "SELECT" && !el.multiple && !(el.size > 1);
    if (dropDown) text = el.selectedIndex >= 0 && el.options[el.selectedIndex] ? squash(el.options[el.selectedIndex].text) : "";
    var box = { x: r.left + dx, y: r.top + dy, w: r.width, h: r.height };
    var labelOfListed = el.tagName === "LABEL" && el.control && el.control !== el && visible(el.control) &&
      el.control.getBoundingClientRect().width > 0;
    if (hasBox && !labelOfListed && (leaf || text || interactive(el))) {
      var d = { ref: ref, id: el.id || "", tag: tagOf(el), classes: classesOf(el),
        text: text.slice(0, MAX_TEXT), x: box.x, y: box.y, w: box.w, h: box.h };
      if (el.tagName === "INPUT" && (el.type === "checkbox" || el.type === "radio")) d.checked = el.checked;
      else if (el.tagName === "INPUT" || el.tagName === "TEXTAREA") d.value = String(el.value).slice(0, MAX_TEXT);
      if (el.tagName === "OPTION") d.checked = el.selected;
      if (el.ownerDocument.activeElement === el) d.focused = true;
      // A labelled control carries its label's text, and the label is
      // not listed apart (see walk's label check): one line, not two.
      if (!d.text && el.labels && el.labels.length && el.type !== "hidden") d.text = squash(el.labels[0].textContent).slice(0, MAX_TEXT);
      if (!d.text && (el.tagName === "INPUT" || el.tagName === "TEXTAREA") && el.placeholder) d.text = squash(el.placeholder).slice(0, MAX_TEXT);
      if (!d.text && el.tagName === "INPUT" && (el.type === "button" || el.type === "submit")) d.text = squash(el.value).slice(0, MAX_TEXT);
      if (!d.text && el.getAttribute("aria-label")) d.text = squash(el.getAttribute("aria-label")).slice(0, MAX_TEXT);
      out.push(d);
    }
    if (dropDown) return; // its options are in the popup, listed by elements()
    if (el.tagName === "IFRAME") {
      var doc = null;
      try { doc = el.contentDocument; } catch (e) { doc = null; }
      if (doc && doc.body) walk(doc.body, box.x + el.clientLeft, box.y + el.clientTop, out);
      return;
    }
    kids.forEach(function (c) { walk(c, dx, dy, out); });
  }

  function inView(d) {
    return d.x < W && d.y < H && d.x + d.w > 0 && d.y + d.h > 0;
  }

  // elements lists the visible elements in the observed area. Options of
  // a closed drop-down are listed after it: they are not on screen, but
  // the agent selects them by clicking them.
  function elements() {
    byRef = {};
    var all = [];
    if (document.body) walk(document.body, 0, 0, all);
    var out = [], outside = 0;
    all.forEach(function (d) {
      if (!inView(d)) { outside++; return; }
      var x0 = Math.max(0, d.x), y0 = Math.max(0, d.y);
      d.w = Math.round(Math.min(W, d.x + d.w) - x0); d.h = Math.round(Math.min(H, d.y + d.h) - y0);
      d.x = Math.round(x0); d.y = Math.round(y0);
      out.push(d);
      var el = byRef[d.ref];
      if (el && el.tagName === "SELECT" && !el.multiple && !(el.size > 1)) {
        Array.prototype.forEach.call(el.options, function (o) {
          out.push({ ref: refOf(o), id: o.id || "", tag: "option", classes: "", text: squash(o.text).slice(0, MAX_TEXT),
            x: d.x, y: d.y, w: d.w, h: d.h, checked: o.selected });
        });
      }
    });
    listed = out;
    return { elements: out, outside: outside };
  }

  function find(key) {
    var el = null;
    if (/^[0-9]+$/.test(key) && byRef[+key]) el = byRef[+key];
    if (!el) el = document.getElementById(key);
    if (!el) {
      var fr = document.querySelector("iframe");
      try { if (fr && fr.contentDocument) el = fr.contentDocument.getElementById(key); } catch (e) { el = null; }
    }
    return el;
  }

  // byText prefers an exact (case-insensitive) text over a substring, and
  // the element listed first among equals.
  function byText(text) {
    var want = squash(text).toLowerCase(), exact = null, part = null;
    for (var i = 0; i < listed.length; i++) {
      var l = listed[i].text.toLowerCase();
      if (!l) continue;
      if (l === want && !exact) exact = listed[i];
      else if (l.indexOf(want) >= 0 && !part) part = listed[i];
    }
    var d = exact || part;
    return d ? byRef[d.ref] : null;
  }

  // boxOf is el's box in top-page pixels.
  function boxOf(el) {
    var r = el.getBoundingClientRect(), dx = 0, dy = 0;
    var win = el.ownerDocument.defaultView;
    if (win && win !== window && win.frameElement) {
      var f = win.frameElement.getBoundingClientRect();
      dx = f.left + win.frameElement.clientLeft; dy = f.top + win.frameElement.clientTop;
    }
    return { x: r.left + dx, y: r.top + dy, w: r.width, h: r.height };
  }

  // target resolves a reference (ref, DOM id, or text) to a point for a
  // real mouse click: the element's centre, when that lies in the observed
  // area and the element (or a part of it) is what is on top there.
  // Otherwise it acts on the element directly, as MiniWoB++'s
  // core.elementClick does (click() and focus(); mouse events on SVG
  // shapes). An option of a closed drop-down is selected directly: its
  // popup is not part of the page.
  function target(key, isText) {
    var el = isText ? byText(key) : find(key);
    if (!el) return { err: isText ? "no element with text \"" + key + "\"" : "no element #" + key };
    if (el.tagName === "OPTION") {
      var sel = el.parentElement && el.parentElement.closest("select");
      if (sel && !sel.multiple && !(sel.size > 1)) {
        sel.value = el.value;
        sel.dispatchEvent(new Event("input", { bubbles: true }));
        sel.dispatchEvent(new Event("change", { bubbles: true }));
        return { handled: true };
      }
    }
    var b = boxOf(el), cx = b.x + b.w / 2, cy = b.y + b.h / 2;
    if (b.w > 0 && b.h > 0 && cx >= 0 && cy >= 0 && cx < W && cy < H) {
      var top = document.elementFromPoint(cx, cy);
      if (top && top.tagName === "IFRAME" && top.contentDocument) {
        var f = top.getBoundingClientRect();
        top = top.contentDocument.elementFromPoint(cx - f.left - top.clientLeft, cy - f.top - top.clientTop);
      }
      if (top && (top === el || el.contains(top) || (top.tagName === "LABEL" && top.control === el))) return { x: cx, y: cy };
    }
    try {
      if (el instanceof SVGElement) {
        ["mousedown", "mouseup", "click"].forEach(function (t) { el.dispatchEvent(new MouseEvent(t, { bubbles: true })); });
      } else {
        el.click();
        if (el.focus) el.focus();
      }
    } catch (e) {
      return { err: "clicking #" + key + " failed: " + e.message };
    }
    return { handled: true };
  }

  // setDate fills a focused date or time input, which keystrokes cannot
  // fill reliably (its segments follow the browser's locale): text in
  // MM/DD/YYYY, YYYY-MM-DD, HH:MM (24 h) or HH:MM AM/PM is converted to
  // the input's value format. It returns false when the focus is elsewhere.
  function setDate(text) {
    var el = document.activeElement;
    if (el && el.tagName === "IFRAME" && el.contentDocument) el = el.contentDocument.activeElement;
    if (!el || el.tagName !== "INPUT" || !/^(date|time|datetime-local|month)$/.test(el.type)) return { handled: false };
    var t = squash(text), v = null, m;
    var pad = function (n) { n = String(+n); return n.length < 2 ? "0" + n : n; };
    if (el.type === "date" || el.type === "month") {
      if ((m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t))) v = m[3] + "-" + pad(m[1]) + "-" + pad(m[2]);
      else if ((m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t))) v = m[1] + "-" + pad(m[2]) + "-" + pad(m[3]);
      if (v && el.type === "month") v = v.slice(0, 7);
    } else if (el.type === "time") {
      if ((m = /^(\d{1,2}):(\d{2})\s*([AaPp][Mm])?$/.exec(t))) {
        var h = +m[1];
        if (m[3]) { h = h % 12; if (/p/i.test(m[3])) h += 12; }
        v = pad(h) + ":" + m[2];
      }
    } else {
      v = t;
    }
    if (v === null) return { err: "cannot read \"" + t + "\" as a " + el.type + " (want MM/DD/YYYY or HH:MM AM)" };
    el.value = v;
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
    return { handled: true };
  }

  function pageMaxTime() {
    return typeof core !== "undefined" && core.EPISODE_MAX_TIME > 0 ? core.EPISODE_MAX_TIME : 10000;
  }

  function outcome(proto) {
    if (proto === "miniwob") {
      return {
        done: typeof WOB_DONE_GLOBAL !== "undefined" && !!WOB_DONE_GLOBAL,
        reward: typeof WOB_RAW_REWARD_GLOBAL !== "undefined" ? +WOB_RAW_REWARD_GLOBAL : 0,
        scaled: typeof WOB_REWARD_GLOBAL !== "undefined" ? +WOB_REWARD_GLOBAL : 0,
        reason: typeof WOB_REWARD_REASON !== "undefined" && WOB_REWARD_REASON != null ? String(WOB_REWARD_REASON) : "",
      };
    }
    var raw = +WOB_REWARD, scaled = raw;
    if (raw > 0) {
      // Our pages keep no clock: decay as MiniWoB++ does, over its
      // default 10 s, on the harness's episode clock.
      var t = (pausedAt !== null ? pausedAt : Date.now()) - ownT0;
      scaled = raw * Math.max(0, 1 - t / 10000);
    }
    return { done: !!WOB_DONE, reward: raw, scaled: scaled, reason: String(WOB_REASON || "") };
  }

  // instruction returns the utterance; MiniWoB++'s NL tasks return an
  // object {utterance, fields} from core.getUtterance.
  function instruction(proto) {
    var u = "";
    if (proto === "miniwob" && typeof core !== "undefined" && core.getUtterance) u = core.getUtterance();
    else if (proto === "wob" && typeof wob !== "undefined") u = wob.instruction();
    else {
      var q = document.getElementById("query");
      u = q ? q.textContent : "";
    }
    if (u && typeof u === "object") u = u.utterance;
    return squash(u);
  }

  // begin starts the episode clock; pause and resume stop it while the
  // agent thinks, so that the decayed reward measures the time the episode
  // spends in the browser, not the model's speed. On MiniWoB++ pages the
  // clock is the page's own (core.ept0, which core.endEpisode decays by).
  function begin() {
    ownT0 = Date.now();
    pausedAt = null;
  }
  function pause() { if (pausedAt === null) pausedAt = Date.now(); }
  function resume() {
    if (pausedAt === null) return;
    var d = Date.now() - pausedAt;
    pausedAt = null;
    ownT0 += d;
    if (typeof core !== "undefined" && core.ept0 != null) core.ept0 += d;
  }

  // resetIds starts a new episode's refs, so that a seed's episode names
  // its elements the same way every time.
  function resetIds() {
    epoch++;
    nextRef = 1;
    byRef = {};
    listed = [];
  }

  // frame resolves after the next frame, or after 100 ms in a tab that
  // draws no frames (a hidden tab does not).
  function frame() {
    return new Promise(function (r) {
      requestAnimationFrame(function () { r(); });
      setTimeout(r, 100);
    });
  }

  // settle waits until what an action started has been drawn: two frames
  // (styles, layout and the fetches they start, such as icons drawn by CSS)
  // and then, for up to 1 s, the page's images. Without it an icon that is
  // still loading has no box and is missing from the element list, which
  // makes the same seed give different observations.
  async function settle() {
    await frame();
    await frame();
    var t0 = Date.now();
    for (;;) {
      var busy = false;
      var docs = [document];
      document.querySelectorAll("iframe").forEach(function (f) {
        try { if (f.contentDocument) docs.push(f.contentDocument); } catch (e) { }
      });
      docs.forEach(function (d) {
        Array.prototype.forEach.call(d.images, function (im) { if (!im.complete) busy = true; });
      });
      if (!busy || Date.now() - t0 > 1000) break;
      await new Promise(function (r) { setTimeout(r, 20); });
    }
    await frame();
    return true;
  }

  return {
    settle: settle,
    frames: async function (n) { for (var i = 0; i < n; i++) await frame(); return true; },
    setArea: function (w, h) { W = w; H = h; },
    // refNow is el's ref in the last observation, 0 if it was not walked
    // then (the official-task experts name their targets by it).
    refNow: function (el) { return el && el.__wobEp === epoch && byRef[el.__wobRef] === el ? el.__wobRef : 0; },
    resetIds: resetIds,
    observe: function (proto) {
      var o = outcome(proto);
      o.instruction = instruction(proto);
      var els = elements();
      o.elements = els.elements;
      o.outside = els.outside;
      o.maxTime = pageMaxTime();
      pause();
      return o;
    },
    outcome: outcome,
    target: target,
    setDate: setDate,
    begin: begin,
    resume: resume,
  };
})();
