var p = quoted(0);
return fill($("#password"), p) || fill($("#verify"), p) || click($("#subbtn"));
