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

		// The page's own utterance names the colour even when the
		// instruction shows a swatch.
		"click-color": `
			var c = Q.match(/^Click on the (.*) colored box\.$/)[1];
			return click($('#area .color[data-color="' + c + '"]'));`,
		"click-shades": `
			var c = Q.match(/shades of (\w+)/)[1];
			var spans = $$("#area span[data-color]");
			for (var i = 0; i < spans.length; i++) {
				if (spans[i].classList.contains("selected") !== (spans[i].getAttribute("data-color") === c)) return click(spans[i]);
			}
			return click($("#submit"));`,
		"grid-coordinate": `
			var id = Q.match(/(\(-?\d,-?\d\))/)[1];
			return click(document.getElementById(id));`,
		// Bisection on the page's feedback; the bounds are remembered for
		// the episode. Guesses are one digit, so one Backspace clears the
		// field (a number input has no text selection to replace).
		"guess-number": `
			if (M.lo === undefined) { M.lo = 0; M.hi = 9; }
			var hi = $("#higher"), lo = $("#lower");
			if (shown(hi)) M.lo = Math.max(M.lo, +txt($("span", hi)) + 1);
			if (shown(lo)) M.hi = Math.min(M.hi, +txt($("span", lo)) - 1);
			var g = String(Math.floor((M.lo + M.hi) / 2)), el = $("#tt");
			if (el.value === g) return click($("#subbtn"));
			if (!focused(el)) return click(el);
			if (el.value !== "") return press("Backspace");
			return typ(g);`,
		// The spinner ignores keys; its arrow buttons step by one.
		"use-spinner": `
			var n = +Q.match(/^Select (-?\d+) with the spinner/)[1], v = parseInt($("#spinner").value, 10) || 0;
			if (v === n) return click($("#subbtn"));
			return click($(v < n ? "#area .ui-spinner-up" : "#area .ui-spinner-down"));`,

		// The page keeps the time of the first click (currentTime) and the
		// delay asked for (timeDelay) global; the second click is timed to
		// land on the delay, less a click's latency.
		"button-delay": `
			if (buttonsPushed.length === 0) return click($("#subbtn"));
			var left = timeDelay * 1000 - (Date.now() - currentTime) - 30;
			if (left > 0) return wait(left);
			return click($("#subbtn2"));`,

		"generate-number": `
			var d = txt($("#display-number")), n = parseInt(d, 10), m, ok;
			if (isNaN(n)) ok = false;
			else if ((m = Q.match(/less than (\d+)/))) ok = n < +m[1];
			else if ((m = Q.match(/greater than (\d+)/))) ok = n > +m[1];
			else if (/odd/.test(Q)) ok = Math.abs(n % 2) === 1;
			else ok = n % 2 === 0;
			return click($(ok ? "#submit" : "#generate"));`,

		"use-slider": `
			var n = +Q.match(/^Select (-?\d+) with the slider/)[1];
			return slide($("#slider"), n) || click($("#subbtn"));`,
		"use-slider-2": `
			var want = JSON.parse(Q.match(/combination (\[[^\]]*\])/)[1]);
			for (var i = 0; i < 3; i++) {
				var step = slide($("#slider-" + (i + 1)), want[i]);
				if (step) return step;
			}
			return click($("#subbtn"));`,

		// The digit's pattern is the page's global PATTERNS (the example
		// beside the grid draws it); the grid is the page's first 28 boxes,
		// row by row, as the page checks them.
		"number-checkboxes": `
			var n = +Q.match(/Draw the number "(\d)"/)[1], boxes = $$("#area input[type=checkbox]");
			for (var i = 0; i < 28; i++) {
				if (boxes[i].checked !== (PATTERNS[n][Math.floor(i / 4)][i % 4] === 1)) return click(boxes[i]);
			}
			return click($("#subbtn"));`,

		// Prices and durations are the buttons' and labels' data
		// attributes (the exact values behind the rounded text).
		"buy-ticket": `
			var want = Q.match(/with the (.*)\.$/)[1];
			var key = /cost/.test(want) ? function (f) { return +$(".buy-ticket", f).getAttribute("data-price"); }
				: function (f) { return +$(".time-duration", f).getAttribute("data-duration"); };
			var most = /longest|most/.test(want), best = null;
			$$("#area .flight").forEach(function (f) {
				if (!best || (most ? key(f) > key(best) : key(f) < key(best))) best = f;
			});
			return click($(".buy-ticket", best));`,
	})
	officialSteps["number-checkboxes"] = 30 // up to 28 boxes to set
	officialSteps["form-sequence"] = 30     // the slider moves one step a key press
	officialSteps["click-shades"] = 15      // up to a dozen shades
	officialSteps["guess-number"] = 25      // four guesses of up to four steps
	officialSteps["use-spinner"] = 15       // ten steps of the spinner at most
	officialSteps["generate-number"] = 20   // generate until the number fits
	officialSteps["use-slider-2"] = 20      // three sliders, a few steps each
}

// slide is one step towards a jQuery UI slider holding n, or null when it
// does: one click on the track where n lies (an inset keeps the ends on
// the track), then, with the handle focused, arrow keys for what the
// click's rounding missed.
const slide = `
	function slide(el, n) {
		var s = jQuery(el), v = s.slider("value");
		if (v === n) return null;
		var lo = s.slider("option", "min"), hi = s.slider("option", "max"), f = (n - lo) / (hi - lo);
		var handle = $(".ui-slider-handle", el), b = box(el), key = "slid-" + el.id + "-" + n;
		if (!M[key]) {
			M[key] = true;
			if (s.slider("option", "orientation") === "vertical") return clickAt(Math.round(b.x + b.w / 2), Math.round(b.y + b.h - 1 - f * (b.h - 2)));
			return clickAt(Math.round(b.x + 1 + f * (b.w - 2)), Math.round(b.y + b.h / 2));
		}
		if (!focused(handle)) return click(handle);
		return press(v < n ? "ArrowRight" : "ArrowLeft");
	}`
