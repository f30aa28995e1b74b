var val = function (key) {
	var row = $$("#tab tr").filter(function (r) { return txt(r.cells[0]) === key; })[0];
	return txt(row.cells[1]);
};
return fill($("#tt1"), val($("#ll1").getAttribute("data-key"))) ||
	fill($("#tt2"), val($("#ll2").getAttribute("data-key"))) || click($("#subbtn"));
