var m = Q.match(/^Choose (.*) from the dropdown, then click the button labeled "(.*)"\.$/);
if ($("#dropdown").value !== m[1]) {
	var item = $$(".selectric-items li").filter(function (li) { return txt(li) === m[1]; })[0];
	if (item && shown(item)) return click(item);
	return click($(".selectric"));
}
return click(byText("#buttons button", m[2]));
