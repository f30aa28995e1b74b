var n = Q.match(/Tab #(\d)/)[1];
return click($('#area ul a[href="#tabs-' + n + '"]'));
