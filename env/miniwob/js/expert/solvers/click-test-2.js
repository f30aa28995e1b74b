return click($("#subbtn"));
