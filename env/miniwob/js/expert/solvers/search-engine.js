var want = quoted(0), pos = +Q.match(/click the (\d+)\w\w search result/)[1] - 1;
var box = $("#search-text");
if (box.value.toLowerCase() !== want.toLowerCase() || !$$("#page-content a").length) {
	return fill(box, want) || click($("#search"));
}
var link = $('#page-content a[data-result="' + pos + '"]');
if (link) return click(link);
var page = String(Math.floor(pos / 3) + 1);
return click($$("#pagination a").filter(function (a) { return txt(a) === page; })[0]);
