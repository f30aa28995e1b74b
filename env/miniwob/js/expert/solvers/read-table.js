var key = Q.match(/Enter the value of (.*) into the text field/)[1];
var row = $$("#tab tr").filter(function (r) { return txt(r.cells[0]) === key; })[0];
return fill($("#tt"), txt(row.cells[1])) || click($("#subbtn"));
