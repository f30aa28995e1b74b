if ((window.jQuery && jQuery("#area :animated").length)) return wait();
var want = quoted(0);
var links = $$("#area .alink").filter(function (a) { return txt(a) === want; });
var vis = links.filter(shown)[0];
if (vis) return click(vis);
var panel = links[0].closest(".ui-accordion-content");
return click(panel.previousElementSibling);
