var want = Q.match(/^Select (.*) from the list/)[1], sel = $("#options");
if (sel.options[sel.selectedIndex].textContent === want) return click($("#area button"));
return click($$("option", sel).filter(function (o) { return o.textContent === want; })[0]);
