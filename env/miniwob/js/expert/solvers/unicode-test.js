var want = quoted(0);
return click($$("#area button").filter(function (b) { return txt(b) === want; })[0]);
