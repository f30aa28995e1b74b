var n = { "1st": 0, "2nd": 1, "3rd": 2 }[Q.match(/the (\w+) input/)[1]];
return click($$("#area input")[n]);
