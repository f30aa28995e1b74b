var q = Q.match(/Enter (\d\d\/\d\d\/\d{4})/)[1], el = $("#tt"), p = q.split("/");
if (el.value === p[2] + "-" + p[0] + "-" + p[1]) return click($("#subbtn"));
if (!focused(el)) return click(el);
return typ(q);
