package miniwob

// Solvers of the shape-grid tasks (see official_expert.go). The page draws
// each shape as one SVG element; its tag, text, fill and drawn size give
// the attributes the instruction may name (size, colour, kind).
func init() {
	addSolvers(map[string]string{
		"click-shape": shapeLib + `
			var d = desc(Q.replace(/^Click on an? /, ""));
			return click(shapesOnPage().filter(function (s) { return matches(s, d); })[0].el);`,
		"count-shape": shapeLib + `
			var d = desc(Q.match(/How many (.*)s are there\?/)[1]);
			var n = String(shapesOnPage().filter(function (s) { return matches(s, d); }).length);
			return click(byText("#count-buttons button", n));`,
		"visual-addition": `
			var n = $$("#visual-1 .addition-block").length + $$("#visual-2 .addition-block").length;
			return fill($("#math-answer"), String(n)) || click($("#subbtn"));`,
	})
}

// shapeLib reads the shapes off the SVG (a size-1 shape is drawn 20 px
// across, a size-0 one 10 px) and parses a description such as "large red
// circle", "small digit" or "blue item".
const shapeLib = `
	function shapesOnPage() {
		return $$("#area_svg text, #area_svg rect, #area_svg circle, #area_svg polygon").map(function (el) {
			var t = el.tagName, s = { el: el, color: el.getAttribute("fill") }, px;
			if (t === "text") { s.text = txt(el); s.type = /\d/.test(s.text) ? "digit" : "letter"; px = parseFloat(el.getAttribute("font-size")); }
			else {
				s.type = "shape";
				s.text = { rect: "rectangle", circle: "circle", polygon: "triangle" }[t];
				var b = el.getBBox(); px = Math.max(b.width, b.height);
			}
			s.size = px >= 15 ? "large" : "small";
			return s;
		});
	}
	function desc(text) {
		var w = text.split(" "), d = { size: "", color: "", what: w[w.length - 1] };
		if (w[0] === "large" || w[0] === "small") d.size = w.shift();
		if (w.length > 1) d.color = w[0];
		return d;
	}
	function matches(s, d) {
		return (!d.size || s.size === d.size) && (!d.color || s.color === d.color) &&
			(d.what === "item" || s.text === d.what || s.type === d.what);
	}
`
