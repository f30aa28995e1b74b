if (window.jQuery && jQuery("#tree :animated").length) return wait();
var want = quoted(0);
var spans = $$("#tree span").filter(function (s) { return txt(s) === want; });
var vis = spans.filter(shown)[0];
if (vis) return click(vis);
var li = spans[0].parentElement, closed = null;
for (var p = li.parentElement; p && p.id !== "tree"; p = p.parentElement) {
	if (p.tagName === "UL" && !shown(p)) closed = p;
}
return click($("span", closed.parentElement));
