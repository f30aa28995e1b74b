var path = Q.replace(/^Select /, "").split(">");
var menu = $("#menu");
if (!menu.contains(document.activeElement) && document.activeElement !== menu) return press("Tab");
var act = $$("#menu li").filter(function (li) { var d = $(":scope > div", li); return d && d.classList.contains("ui-state-active"); }).pop();
if (!act) return press("ArrowDown");
var ul = menu, node = null;
for (var i = 0; i < path.length; i++) {
	var kids = $$(":scope > li", ul);
	node = kids.filter(function (li) { return txt($(":scope > div", li)) === path[i]; })[0];
	if (act.parentElement === ul) {
		if (act === node) return press(i === path.length - 1 ? "Enter" : "ArrowRight");
		var k = kids.indexOf(act);
		if (k < 0) break;
		return press(kids.indexOf(node) > k ? "ArrowDown" : "ArrowUp");
	}
	ul = $(":scope > ul", node);
	if (!ul) break;
}
return press("ArrowLeft");
