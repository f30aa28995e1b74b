if ((window.jQuery && jQuery("#area :animated").length) || $$("#area .ui-accordion-content").some(function (c) { return c.style.height && c.style.display !== "none" && c.style.overflow === "hidden"; })) return wait();
var open = $$("#area .ui-accordion-content").filter(shown);
if (!open.length) return click($("#area h3"));
return click($("#subbtn"));
