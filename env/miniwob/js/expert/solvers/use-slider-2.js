var want = JSON.parse(Q.match(/combination (\[[^\]]*\])/)[1]);
for (var i = 0; i < 3; i++) {
	var step = slide($("#slider-" + (i + 1)), want[i]);
	if (step) return step;
}
return click($("#subbtn"));
