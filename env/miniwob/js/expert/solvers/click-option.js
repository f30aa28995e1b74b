var want = Q.match(/^Select (.*) and click Submit\.$/)[1];
var lab = $$("#boxes label").filter(function (l) { return txt(l) === want; })[0];
var r = $("input", lab);
return r.checked ? click($("#subbtn")) : click(r);
