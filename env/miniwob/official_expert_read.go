package miniwob

// Solvers of tasks that ask to read something off the page and enter or
// pick the answer: tables, words, sums, shapes, labelled forms (see
// official_expert.go).
func init() {
	addSolvers(map[string]string{
		// The one shape is an SVG text (a letter or a digit), rect, circle
		// or polygon (a triangle); the buttons carry the type.
		"identify-shape": `
			var s = $("#area_svg").querySelector("text, rect, circle, polygon"), t;
			if (s.tagName === "text") t = /\d/.test(txt(s)) ? "digit" : "letter";
			else t = { rect: "rectangle", circle: "circle", polygon: "triangle" }[s.tagName];
			return click($('#area-buttons button[data-type="' + t + '"]'));`,

		// The answer is compared without punctuation, so the word as it
		// stands in the paragraph is stripped the same way.
		"find-word": `
			var n = parseInt(Q.match(/Find the (\d+)\w\w word/)[1], 10) - 1;
			var w = txt($("#area p")).split(" ")[n].replace(/[^a-zA-Z0-9]/g, "");
			return fill($("#answer-input"), w) || click($("#subbtn"));`,

		"read-table": `
			var key = Q.match(/Enter the value of (.*) into the text field/)[1];
			var row = $$("#tab tr").filter(function (r) { return txt(r.cells[0]) === key; })[0];
			return fill($("#tt"), txt(row.cells[1])) || click($("#subbtn"));`,
		"read-table-2": `
			var val = function (key) {
				var row = $$("#tab tr").filter(function (r) { return txt(r.cells[0]) === key; })[0];
				return txt(row.cells[1]);
			};
			return fill($("#tt1"), val($("#ll1").getAttribute("data-key"))) ||
				fill($("#tt2"), val($("#ll2").getAttribute("data-key"))) || click($("#subbtn"));`,

		"simple-arithmetic": `
			var m = txt($("#math-problem")).match(/(-?\d+) ([-+x]) (-?\d+)/), a = +m[1], b = +m[3];
			var r = m[2] === "+" ? a + b : m[2] === "-" ? a - b : a * b;
			return fill($("#math-answer"), String(r)) || click($("#subbtn"));`,
		// x op d = r or d op x = r, for x.
		"simple-algebra": `
			var p = txt($("#math-problem")), m, x;
			if ((m = p.match(/^x ([-+]) (\d+) = (\d+)$/))) x = m[1] === "+" ? +m[3] - +m[2] : +m[3] + +m[2];
			else if ((m = p.match(/^(\d+) ([-+]) x = (\d+)$/))) x = m[2] === "+" ? +m[3] - +m[1] : +m[1] - +m[3];
			else return fail("problem not understood: " + p);
			return fill($("#math-answer"), String(x)) || click($("#subbtn"));`,

		"odd-or-even": `
			var rows = $$("#numbers .row");
			for (var i = 0; i < rows.length; i++) {
				var n = parseInt(txt($(".display-number", rows[i])), 10);
				var b = $(Math.abs(n % 2) === 1 ? ".odd" : ".even", rows[i]);
				if (!b.classList.contains("selected")) return click(b);
			}
			return click($("#submit"));`,

		"multi-layouts":   movieSearch,
		"multi-orderings": movieSearch,
	})
}

// movieSearch fills the three fields by the labels next to them, whatever
// the layout, and presses the layout's submit control.
const movieSearch = `
	var m = Q.match(/^Search for (.*) movies directed by (.*) from year (\d+)\.$/);
	var want = { genre: m[1], name: m[2], year: m[3] };
	var inputs = $$("#area input[type=text]");
	for (var i = 0; i < inputs.length; i++) {
		var row = inputs[i].closest("p, tr, .row, .field, .ui-entry");
		var label = txt(row);
		var key = /genre/i.test(label) ? "genre" : /director/i.test(label) ? "name" : "year";
		var step = fill(inputs[i], want[key]);
		if (step) return step;
	}
	return click($("#area button, #area .final, #area .ui-submit"));`
