package miniwob

// Solvers of the form tasks: enter-*, login-*, choose-* and use-* (see
// official_expert.go). Text goes in through fill: focus the field by
// clicking it, clear it if it holds something else, type.
func init() {
	addSolvers(map[string]string{
		"enter-text":         `return fill($("#tt"), quoted(0)) || click($("#subbtn"));`,
		"enter-text-dynamic": `return fill($("#tt"), quoted(0)) || click($("#subbtn"));`,
		"enter-text-2": `
			var s = quoted(0);
			s = /upper case/.test(Q) ? s.toUpperCase() : s.toLowerCase();
			return fill($("#tt"), s) || click($("#subbtn"));`,
		"enter-password": `
			var p = quoted(0);
			return fill($("#password"), p) || fill($("#verify"), p) || click($("#subbtn"));`,
		"login-user": loginUser,
		// The popup that may come up on focusing a field is dismissed with
		// Cancel (OK leaves the page and fails).
		"login-user-popup": `
			var pop = $("#popup-cancel");
			if (pop && shown(pop)) return click(pop);
			` + loginUser,

		// A date input takes the date as typed (MM/DD/YYYY, as the
		// instruction writes it); its value reads YYYY-MM-DD.
		"enter-date": `
			var q = Q.match(/Enter (\d\d\/\d\d\/\d{4})/)[1], el = $("#tt"), p = q.split("/");
			if (el.value === p[2] + "-" + p[0] + "-" + p[1]) return click($("#subbtn"));
			if (!focused(el)) return click(el);
			return typ(q);`,
		"enter-time": `
			var q = Q.match(/Enter (.*) as the time/)[1], el = $("#tt");
			var m = q.match(/(\d+):(\d\d)\s*([AP]M)/i), h = +m[1] % 12 + (/p/i.test(m[3]) ? 12 : 0);
			if (el.value === ("0" + h).slice(-2) + ":" + m[2]) return click($("#subbtn"));
			if (!focused(el)) return click(el);
			return typ(m[1] + ":" + m[2] + " " + m[3].toUpperCase());`,

		// The drop-down's options are listed with it; clicking one selects it.
		"choose-list": `
			var want = Q.match(/^Select (.*) from the list/)[1], sel = $("#options");
			if (sel.options[sel.selectedIndex].textContent === want) return click($("#area button"));
			return click($$("option", sel).filter(function (o) { return o.textContent === want; })[0]);`,

		"choose-date":         chooseDate,
		"choose-date-easy":    chooseDate,
		"choose-date-medium":  chooseDate,
		"choose-date-nodelay": chooseDate,

		// Any country the page's list (ui_utils.COUNTRIES) has that fits
		// the instruction will do; the widget's suggestions are not needed,
		// but an open suggestion menu is closed before submitting.
		"use-autocomplete":         useAutocomplete,
		"use-autocomplete-nodelay": useAutocomplete,
	})
	officialSteps["choose-date"] = 20 // up to 11 months back, the day, submit
	officialSteps["choose-date-medium"] = 20
	officialSteps["choose-date-nodelay"] = 20
}

const loginUser = `
	var u = quoted(0), p = quoted(1);
	return fill($("#username"), u) || fill($("#password"), p) || click($("#subbtn"));`

// chooseDate opens the date picker, steps to the instruction's month and
// clicks the day, then submits.
const chooseDate = `
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
	return click($(later ? ".ui-datepicker-next" : ".ui-datepicker-prev", dp));`

const useAutocomplete = `
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
	return click($("#subbtn"));`
