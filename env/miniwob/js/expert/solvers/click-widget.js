var want = quoted(0);
return click($$('#area [data-type="' + want + '"]')[0]);
