return fill($("#tt"), txt($("#captcha")).replace(/ /g, "")) || click($("#subbtn"));
