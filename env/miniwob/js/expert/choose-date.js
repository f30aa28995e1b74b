if (window.jQuery && jQuery(":animated").length) return wait();
var q = Q.match(/Select (\d\d)\/(\d\d)\/(\d{4})/), mon = +q[1] - 1, day = +q[2], year = +q[3];
var input = $("#datepicker"), v = input.value;
if (v === q[1] + "/" + q[2] + "/" + q[3]) {
	if (shown($("#ui-datepicker-div"))) return press("Escape");
	return click($("#subbtn"));
}
var dp = $("#ui-datepicker-div");
if (!shown(dp)) return click(input);
var cell = $$('td[data-handler="selectDay"]', dp).filter(function (td) {
	return +td.getAttribute("data-month") === mon && +td.getAttribute("data-year") === year && +txt(td) === day;
})[0];
if (cell) return click($("a", cell));
var names = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
var shownMon = names.indexOf(txt($(".ui-datepicker-month", dp))), shownYear = +txt($(".ui-datepicker-year", dp));
var later = year * 12 + mon > shownYear * 12 + shownMon;
return click($(later ? ".ui-datepicker-next" : ".ui-datepicker-prev", dp));
