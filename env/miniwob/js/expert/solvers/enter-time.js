var q = Q.match(/Enter (.*) as the time/)[1], el = $("#tt");
var m = q.match(/(\d+):(\d\d)\s*([AP]M)/i), h = +m[1] % 12 + (/p/i.test(m[3]) ? 12 : 0);
if (el.value === ("0" + h).slice(-2) + ":" + m[2]) return click($("#subbtn"));
if (!focused(el)) return click(el);
return typ(m[1] + ":" + m[2] + " " + m[3].toUpperCase());
