var want = Q.match(/button (\w+)/)[1];
return click($$("#area button").filter(function (b) { return txt(b) === want; })[0]);
