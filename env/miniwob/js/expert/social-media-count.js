var m = Q.match(/^Click the "(\w+)" button on (.*?) posts? by (\S+)/);
var cls = m[1].toLowerCase(), user = m[3];
var posts = $$("#area .media").filter(function (p) { return txt($(".username", p)) === user; });
var want = m[2] === "all" ? posts.length : +m[2];
var stray = $$("#area .media .active").filter(function (b) {
	return !b.classList.contains(cls) || txt($(".username", b.closest(".media"))) !== user;
})[0];
if (stray) return click(stray);
var mine = posts.map(function (p) { return $(".controls ." + cls, p); });
var on = mine.filter(function (b) { return b.classList.contains("active"); });
if (on.length > want) return click(on[0]);
if (on.length < want) return click(mine.filter(function (b) { return !b.classList.contains("active"); })[0]);
return click($("#submitRow button"));
