var s = quoted(0);
s = /upper case/.test(Q) ? s.toUpperCase() : s.toLowerCase();
return fill($("#tt"), s) || click($("#subbtn"));
