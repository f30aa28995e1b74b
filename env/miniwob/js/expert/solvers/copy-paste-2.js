var n = { "1st": 1, "2nd": 2, "3rd": 3 }[Q.match(/the (\w+) text area/)[1]];
return fill($("#answer-input"), $("#text-" + n).value) || click($("#subbtn"));
