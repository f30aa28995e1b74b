// harness.js is injected by env/miniwob into every document of its tabs. It
// reads the page for the Go side: the episode outcome under both protocols,
// the instruction, and the visible interactive elements. It never changes
// what a page shows; it only tags elements that have no id with
// data-wobid so that the agent can name them.
window.__wobH = (function () {
  var W = 160, H = 210;
  var SEL = "button,a,input,select,option,textarea,label,[onclick],[role=button],[role=tab]," +
    "[role=link],[role=option],[data-wob-click]";
  var nextRef = 1;

  function squash(s) { return String(s == null ? "" : s).replace(/\s+/g, " ").trim(); }

  // rect returns the part of el inside the task area, or null when el is
  // hidden or outside it.
  function rect(el) {
    var r = el.getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0)) return null;
    if (el.checkVisibility && !el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) return null;
    var x0 = Math.max(0, r.left), y0 = Math.max(0, r.top);
    var x1 = Math.min(W, r.right), y1 = Math.min(H, r.bottom);
    if (x1 - x0 < 1 || y1 - y0 < 1) return null;
    return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  }

  function label(el) {
    if (el.tagName === "INPUT" && (el.type === "checkbox" || el.type === "radio" ||
        el.type === "text" || el.type === "password") && el.labels && el.labels.length) {
      return squash(el.labels[0].textContent);
    }
    if (el.tagName === "SELECT") return "";
    return squash(el.getAttribute("aria-label") || el.textContent || el.title || el.placeholder ||
      (el.tagName === "INPUT" && (el.type === "button" || el.type === "submit") ? el.value : ""));
  }

  function ident(el) {
    if (el.id) return el.id;
    if (!el.dataset.wobid) el.dataset.wobid = "e" + (nextRef++);
    return el.dataset.wobid;
  }

  function kind(el) {
    var t = el.tagName.toLowerCase();
    if (t === "input") return "input:" + (el.type || "text");
    if (el.getAttribute("role")) return el.getAttribute("role");
    if (t !== "button" && t !== "a" && t !== "select" && t !== "option" && t !== "textarea" && t !== "label") return "clickable";
    return t;
  }

  function root() { return document.getElementById("area") || document.body; }

  // candidates lists interactive elements in document order. A label whose
  // control is listed is skipped: the control carries the label text.
  function candidates() {
    var out = [];
    root().querySelectorAll(SEL).forEach(function (el) {
      if (el.tagName === "LABEL" && el.control && rect(el.control)) return;
      out.push(el);
    });
    return out;
  }

  function describe(el, r) {
    var d = { id: ident(el), kind: kind(el), text: label(el).slice(0, 40),
      x: Math.round(r.x), y: Math.round(r.y), w: Math.round(r.w), h: Math.round(r.h) };
    if (el.tagName === "INPUT" && (el.type === "checkbox" || el.type === "radio")) d.checked = el.checked;
    else if (el.tagName === "INPUT" || el.tagName === "TEXTAREA") d.value = String(el.value).slice(0, 40);
    if (el.tagName === "OPTION") d.checked = el.selected;
    if (document.activeElement === el) d.focused = true;
    return d;
  }

  function elements() {
    var out = [];
    candidates().forEach(function (el) {
      var r = rect(el);
      if (r && out.length < 40) out.push(describe(el, r));
    });
    return out;
  }

  function byId(key) {
    var el = document.getElementById(key);
    if (el) return el;
    try { return document.querySelector('[data-wobid="' + CSS.escape(key) + '"]'); } catch (e) { return null; }
  }

  // byText prefers an exact (case-insensitive) label over a substring, and a
  // visible element over an option of a closed drop-down.
  function byText(text) {
    var want = squash(text).toLowerCase(), exact = null, part = null;
    var list = candidates();
    root().querySelectorAll("select option").forEach(function (o) { if (list.indexOf(o) < 0) list.push(o); });
    for (var i = 0; i < list.length; i++) {
      var el = list[i], l = label(el).toLowerCase();
      if (!l || (el.tagName !== "OPTION" && !rect(el))) continue;
      if (l === want && !exact) exact = el;
      else if (l.indexOf(want) >= 0 && !part) part = el;
    }
    return exact || part;
  }

  // target resolves an element reference to a point to click, or selects an
  // option of a closed drop-down directly (its popup is not part of the
  // page, so it cannot be clicked).
  function target(key, isText) {
    var el = isText ? byText(key) : byId(key);
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
    var r = rect(el);
    if (!r) return { err: "element is not visible" };
    return { x: r.x + r.w / 2, y: r.y + r.h / 2 };
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
    return { done: !!WOB_DONE, reward: +WOB_REWARD, scaled: +WOB_REWARD, reason: String(WOB_REASON || "") };
  }

  function instruction(proto) {
    if (proto === "miniwob" && typeof core !== "undefined" && core.getUtterance) return core.getUtterance();
    if (proto === "wob" && typeof wob !== "undefined") return wob.instruction();
    var q = document.getElementById("query");
    return q ? squash(q.textContent) : "";
  }

  // resetIds forgets the ids given to id-less elements, so that a seed's
  // episode names its elements the same way every time.
  function resetIds() {
    document.querySelectorAll("[data-wobid]").forEach(function (el) { delete el.dataset.wobid; });
    nextRef = 1;
  }

  return {
    resetIds: resetIds,
    observe: function (proto) {
      var o = outcome(proto);
      o.instruction = instruction(proto);
      o.elements = elements();
      return o;
    },
    outcome: outcome,
    target: target,
  };
})();
