var f = Q.match(/starts with "([^"]*)"/)[1], e = (Q.match(/ends with "([^"]*)"/) || [null, ""])[1];
var want = ui_utils.COUNTRIES.filter(function (c) { return c.indexOf(f) === 0 && c.slice(c.length - e.length) === e; })[0];
if (!want) return fail("no country fits");
var el = $("#tags");
var step = fill(el, want);
if (step) return step;
var menu = $$("ul.ui-autocomplete").filter(shown)[0];
if (menu) {
	var item = $$("li", menu).filter(function (li) { return txt(li) === want; })[0];
	return item ? click(item) : press("Escape");
}
return click($("#subbtn"));
