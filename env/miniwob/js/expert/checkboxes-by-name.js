var list = Q.match(/^Select (.*) and click Submit\.$/)[1];
var names = list === "nothing" ? [] : list.split(", ");
var boxes = $$("#area label");
for (var i = 0; i < boxes.length; i++) {
	var c = $("input", boxes[i]);
	if (c.checked !== (names.indexOf(txt(boxes[i])) >= 0)) return click(c);
}
return click($("#subbtn"));
