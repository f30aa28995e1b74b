var U = (typeof core !== "undefined" && core.getUtterance) ? core.getUtterance() : "";
var Q = (U && typeof U === "object") ? String(U.utterance) : String(U || "");
Q = Q.replace(/\s+/g, " ").trim();
var F = (U && typeof U === "object" && U.fields) ? U.fields : {};
if (!window.__wobXM || window.__wobXM.ep !== EP) window.__wobXM = { ep: EP };
var M = window.__wobXM;
function $(s, root) { return (root || document).querySelector(s); }
function $$(s, root) { return Array.prototype.slice.call((root || document).querySelectorAll(s)); }
function txt(el) { return el ? String(el.textContent).replace(/\s+/g, " ").trim() : ""; }
function shown(el) { if (!el) return false; var r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && (!el.checkVisibility || el.checkVisibility({ visibilityProperty: true })); }
function byText(sel, t, root) { t = String(t).replace(/\s+/g, " ").trim(); return $$(sel, root).filter(function (e) { return txt(e) === t; })[0] || null; }
function quoted(i) { var m = Q.match(/"([^"]*)"/g) || []; return m[i] ? m[i].slice(1, -1) : null; }
function box(el) {
  var r = el.getBoundingClientRect(), dx = 0, dy = 0, w = el.ownerDocument.defaultView;
  if (w && w !== window && w.frameElement) { var f = w.frameElement.getBoundingClientRect(); dx = f.left; dy = f.top; }
  return { x: r.left + dx, y: r.top + dy, w: r.width, h: r.height };
}
function click(el) {
  if (!el) return { op: "error", text: "no target" };
  var b = box(el), cx = b.x + b.w / 2, cy = b.y + b.h / 2;
  // Out of view, a person scrolls towards it first. The window is larger
  // than the view, so what lies below the view but inside the window may
  // be out of any scroll's reach: that is clicked by its ref, which the
  // env resolves as MiniWoB++'s element click does.
  // A scroll that did not move the target (M.scrolledAt) shows that.
  if (cy >= AH || cy < 0) {
    if (canScroll(el, cy >= AH) && M.scrolledAt !== cy) {
      M.scrolledAt = cy;
      return { op: "scroll", x: Math.min(AW - 1, Math.max(0, Math.round(cx))), y: Math.round(AH * 0.6), down: cy >= AH };
    }
    var ref = __wobH.refNow(el);
    return ref ? { op: "clickref", ref: ref } : fail("target out of view, beyond any scroll");
  }
  return { op: "click", ref: __wobH.refNow(el), x: cx, y: cy };
}
function canScroll(el, down) {
  for (var a = el.parentElement; a; a = a.parentElement) {
    if (a.scrollHeight <= a.clientHeight + 1) continue;
    var root = a === document.scrollingElement || a === document.body;
    if (!root && !/auto|scroll/.test(getComputedStyle(a).overflowY)) continue;
    if (down ? a.scrollTop + a.clientHeight < a.scrollHeight - 1 : a.scrollTop > 0) return true;
  }
  return false;
}
function clickAt(x, y) { return { op: "click", ref: 0, x: x, y: y }; }
function typ(s) { return { op: "type", text: String(s) }; }
function press(k) { return { op: "press", text: k }; }
function wait(ms) { return { op: "wait", ms: ms || 0 }; }
function fail(s) { return { op: "error", text: s }; }
function focused(el) { return el.ownerDocument.activeElement === el; }
function fill(el, s) {
  s = String(s);
  if (el.value === s) return null;
  if (!focused(el)) return click(el);
  var v = el.value;
  if (v === "" || s.indexOf(v) === 0 && el.selectionStart === v.length) return typ(s.slice(v.length));
  if (el.selectionStart === 0 && el.selectionEnd === v.length) return press("Backspace");
  return press("Ctrl+A");
}
