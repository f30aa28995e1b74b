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
