var m = Q.match(/^Find (.*) in the contact book and click on their (\w+)/), who = m[1], prop = m[2];
if (txt($("#contact .name")) === who) return click($("#contact a." + prop));
var next = $("#pagination .next");
if (next && !next.classList.contains("disabled")) return click($("a", next));
return click($("#pagination .first a"));
