return click($("#tt"));
