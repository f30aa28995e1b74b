var want = quoted(1), icon = $("#query .ui-icon");
if (icon) {
	var cls = Array.prototype.filter.call(icon.classList, function (c) { return c !== "ui-icon"; })[0];
	want = txt($("#menu ." + cls).parentElement);
}
var menu = $("#menu");
if (!shown(menu)) return click($("#open-menu"));
var item = $$("#menu li > div").filter(function (d) { return txt(d) === want; })[0];
if (shown(item)) return click(item);
var sub = item.closest("ul");
return click($(":scope > div", sub.parentElement));
