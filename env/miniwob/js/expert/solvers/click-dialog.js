return click($(".ui-dialog-titlebar button"));
