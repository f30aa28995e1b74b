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
}
