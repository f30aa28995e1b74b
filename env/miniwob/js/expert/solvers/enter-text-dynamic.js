return fill($("#tt"), quoted(0)) || click($("#subbtn"));
