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
return click($("#subbtn"));
