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
return click($("#subbtn"));
