var p = txt($("#math-problem")), m, x;
if ((m = p.match(/^x ([-+]) (\d+) = (\d+)$/))) x = m[1] === "+" ? +m[3] - +m[2] : +m[3] + +m[2];
else if ((m = p.match(/^(\d+) ([-+]) x = (\d+)$/))) x = m[2] === "+" ? +m[3] - +m[1] : +m[1] - +m[3];
else return fail("problem not understood: " + p);
return fill($("#math-answer"), String(x)) || click($("#subbtn"));
