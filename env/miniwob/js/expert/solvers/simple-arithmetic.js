var m = txt($("#math-problem")).match(/(-?\d+) ([-+x]) (-?\d+)/), a = +m[1], b = +m[3];
var r = m[2] === "+" ? a + b : m[2] === "-" ? a - b : a * b;
return fill($("#math-answer"), String(r)) || click($("#subbtn"));
