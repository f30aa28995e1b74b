var want = quoted(0);
if (want === "x") return click($(".ui-dialog-titlebar button"));
return click(byText(".ui-dialog-buttonpane button", want));
