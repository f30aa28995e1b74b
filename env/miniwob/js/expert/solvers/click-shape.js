var d = desc(Q.replace(/^Click on an? /, ""));
return click(shapesOnPage().filter(function (s) { return matches(s, d); })[0].el);
