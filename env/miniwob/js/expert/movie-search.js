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
return click($("#area button, #area .final, #area .ui-submit"));
