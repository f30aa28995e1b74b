package miniwob

// Solvers of assorted form and reading tasks (see official_expert.go).
func init() {
	addSolvers(map[string]string{
		"unicode-test": `
			var want = quoted(0);
			return click($$("#area button").filter(function (b) { return txt(b) === want; })[0]);`,

		// The captcha's letters are spans of the page, skewed only in how
		// they are drawn.
		"text-transform": `return fill($("#tt"), txt($("#captcha")).replace(/ /g, "")) || click($("#subbtn"));`,

		// Typing the text reaches the same value as copy and paste.
		"copy-paste": `return fill($("#answer-input"), $("#to-copy").value) || click($("#subbtn"));`,
		"copy-paste-2": `
			var n = { "1st": 1, "2nd": 2, "3rd": 3 }[Q.match(/the (\w+) text area/)[1]];
			return fill($("#answer-input"), $("#text-" + n).value) || click($("#subbtn"));`,

		// The cards' values are in the page even while they are face down.
		"find-greatest": `
			var cards = $$("#cardholder .card"), best = cards[0];
			cards.forEach(function (c) { if (+txt(c) > +txt(best)) best = c; });
			if (best.classList.contains("hidden")) return click(best);
			return click($("#submit"));`,

		// One contact per page: page on until the person shows.
		"phone-book": `
			var m = Q.match(/^Find (.*) in the contact book and click on their (\w+)/), who = m[1], prop = m[2];
			if (txt($("#contact .name")) === who) return click($("#contact a." + prop));
			var next = $("#pagination .next");
			if (next && !next.classList.contains("disabled")) return click($("a", next));
			return click($("#pagination .first a"));`,

		// The slider takes the arrow keys once its handle has the focus.
		"form-sequence": `
			var m = Q.match(/^Select (-?\d+) with the slider, click the (\w+) checkbox/), n = +m[1];
			var k = { "1st": 1, "2nd": 2, "3rd": 3 }[m[2]];
			var handle = $("#slider .ui-slider-handle"), v = jQuery("#slider").slider("value");
			if (v !== n) {
				if (!focused(handle)) return click(handle);
				return press(v < n ? "ArrowRight" : "ArrowLeft");
			}
			for (var i = 1; i <= 3; i++) {
				var c = $("#checkbox-" + i);
				if (c.checked !== (i === k)) return click(c);
			}
			return click($("#subbtn"));`,
		"form-sequence-2": `
			var m = Q.match(/^Check the (\w+) radio button and enter the number "(-?\d+)" into the (\w+) textbox/);
			var pos = { "1st": 1, "2nd": 2, "3rd": 3 }, r = pos[m[1]], t = pos[m[3]];
			var radio = $('#area input[type=radio][value="' + r + '"]');
			if (!radio.checked) return click(radio);
			for (var i = 1; i <= 3; i++) {
				var el = $("#input-" + i), want = i === t ? m[2] : "";
				if (el.value === want) continue;
				if (want === "") { if (!focused(el)) return click(el); return el.selectionStart === 0 && el.selectionEnd === el.value.length ? press("Backspace") : press("Ctrl+A"); }
				return fill(el, want);
			}
			return click($("#subbtn"));`,
		// The drop-down is a Selectric widget: open it, click the option.
		"form-sequence-3": `
			var m = Q.match(/^Choose (.*) from the dropdown, then click the button labeled "(.*)"\.$/);
			if ($("#dropdown").value !== m[1]) {
				var item = $$(".selectric-items li").filter(function (li) { return txt(li) === m[1]; })[0];
				if (item && shown(item)) return click(item);
				return click($(".selectric"));
			}
			return click(byText("#buttons button", m[2]));`,
	})
	officialSteps["form-sequence"] = 30 // the slider moves one step a key press
}
