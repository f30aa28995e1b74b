var n = parseInt(Q.match(/Find the (\d+)\w\w word/)[1], 10) - 1;
var w = txt($("#area p")).split(" ")[n].replace(/[^a-zA-Z0-9]/g, "");
return fill($("#answer-input"), w) || click($("#subbtn"));
