var u = quoted(0), p = quoted(1);
return fill($("#username"), u) || fill($("#password"), p) || click($("#subbtn"));
