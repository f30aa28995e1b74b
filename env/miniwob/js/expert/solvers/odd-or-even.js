var rows = $$("#numbers .row");
for (var i = 0; i < rows.length; i++) {
	var n = parseInt(txt($(".display-number", rows[i])), 10);
	var b = $(Math.abs(n % 2) === 1 ? ".odd" : ".even", rows[i]);
	if (!b.classList.contains("selected")) return click(b);
}
return click($("#submit"));
