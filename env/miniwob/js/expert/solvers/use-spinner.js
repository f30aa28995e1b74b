var n = +Q.match(/^Select (-?\d+) with the spinner/)[1], v = parseInt($("#spinner").value, 10) || 0;
if (v === n) return click($("#subbtn"));
return click($(v < n ? "#area .ui-spinner-up" : "#area .ui-spinner-down"));
