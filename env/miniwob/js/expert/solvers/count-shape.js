var d = desc(Q.match(/How many (.*)s are there\?/)[1]);
var n = String(shapesOnPage().filter(function (s) { return matches(s, d); }).length);
return click(byText("#count-buttons button", n));
