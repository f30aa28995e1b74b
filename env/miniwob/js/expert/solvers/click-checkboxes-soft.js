var words = Q.match(/^Select words similar to (.*) and click Submit\.$/)[1].split(", ");
var group = function (w) { return SYNONYMS.filter(function (g) { return g.indexOf(w) >= 0; }); };
var similar = function (a, b) { return group(a).some(function (g) { return g.indexOf(b) >= 0; }); };
var boxes = $$("#boxes label");
for (var i = 0; i < boxes.length; i++) {
	var c = $("input", boxes[i]), name = txt(boxes[i]);
	var want = words.some(function (w) { return similar(w, name); });
	if (c.checked !== want) return click(c);
}
return click($("#subbtn"));
