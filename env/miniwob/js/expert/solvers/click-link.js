return click(byText("#area .alink", quoted(0)));
