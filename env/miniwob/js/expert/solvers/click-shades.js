var c = Q.match(/shades of (\w+)/)[1];
var spans = $$("#area span[data-color]");
for (var i = 0; i < spans.length; i++) {
	if (spans[i].classList.contains("selected") !== (spans[i].getAttribute("data-color") === c)) return click(spans[i]);
}
return click($("#submit"));
