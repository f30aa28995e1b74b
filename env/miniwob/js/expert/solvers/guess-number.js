if (M.lo === undefined) { M.lo = 0; M.hi = 9; }
var hi = $("#higher"), lo = $("#lower");
if (shown(hi)) M.lo = Math.max(M.lo, +txt($("span", hi)) + 1);
if (shown(lo)) M.hi = Math.min(M.hi, +txt($("span", lo)) - 1);
var g = String(Math.floor((M.lo + M.hi) / 2)), el = $("#tt");
if (el.value === g) return click($("#subbtn"));
if (!focused(el)) return click(el);
if (el.value !== "") return press("Backspace");
return typ(g);
