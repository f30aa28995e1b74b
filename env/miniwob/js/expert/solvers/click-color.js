var c = Q.match(/^Click on the (.*) colored box\.$/)[1];
return click($('#area .color[data-color="' + c + '"]'));
