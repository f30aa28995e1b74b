var n = +Q.match(/^Select (-?\d+) with the slider/)[1];
return slide($("#slider"), n) || click($("#subbtn"));
