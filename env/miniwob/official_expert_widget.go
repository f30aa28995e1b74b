package miniwob

// Solvers of tasks built on composite widgets: trees, tabs, menus, social
// media feeds and the search engine (see official_expert.go).
func init() {
	addSolvers(map[string]string{
		// Open the closed folders above the named item, then click it.
		"navigate-tree": `
			if (window.jQuery && jQuery("#tree :animated").length) return wait();
			var want = quoted(0);
			var spans = $$("#tree span").filter(function (s) { return txt(s) === want; });
			var vis = spans.filter(shown)[0];
			if (vis) return click(vis);
			var li = spans[0].parentElement, closed = null;
			for (var p = li.parentElement; p && p.id !== "tree"; p = p.parentElement) {
				if (p.tagName === "UL" && !shown(p)) closed = p;
			}
			return click($("span", closed.parentElement));`,

		"click-tab-2":        tabLink,
		"click-tab-2-easy":   tabLink,
		"click-tab-2-medium": tabLink,
		"click-tab-2-hard":   tabLink,

		// A path A>B>C. Clicking an item selects it, even one with a
		// submenu, and the mouse cannot hover, so the menu is driven by the
		// keyboard: Tab focuses it, the arrows move along the path
		// (ArrowRight opens a submenu, ArrowLeft closes a wrong one), Enter
		// selects the leaf.
		"click-menu": `
			var path = Q.replace(/^Select /, "").split(">");
			var menu = $("#menu");
			if (!menu.contains(document.activeElement) && document.activeElement !== menu) return press("Tab");
			var act = $$("#menu li").filter(function (li) { var d = $(":scope > div", li); return d && d.classList.contains("ui-state-active"); }).pop();
			if (!act) return press("ArrowDown");
			var ul = menu, node = null;
			for (var i = 0; i < path.length; i++) {
				var kids = $$(":scope > li", ul);
				node = kids.filter(function (li) { return txt($(":scope > div", li)) === path[i]; })[0];
				if (act.parentElement === ul) {
					if (act === node) return press(i === path.length - 1 ? "Enter" : "ArrowRight");
					var k = kids.indexOf(act);
					if (k < 0) break;
					return press(kids.indexOf(node) > k ? "ArrowDown" : "ArrowUp");
				}
				ul = $(":scope > ul", node);
				if (!ul) break;
			}
			return press("ArrowLeft");`,

		// The item is named by its label or by its icon's class; items under
		// Playback need that submenu open.
		"click-menu-2": `
			var want = quoted(1), icon = $("#query .ui-icon");
			if (icon) {
				var cls = Array.prototype.filter.call(icon.classList, function (c) { return c !== "ui-icon"; })[0];
				want = txt($("#menu ." + cls).parentElement);
			}
			var menu = $("#menu");
			if (!shown(menu)) return click($("#open-menu"));
			var item = $$("#menu li > div").filter(function (d) { return txt(d) === want; })[0];
			if (shown(item)) return click(item);
			var sub = item.closest("ul");
			return click($(":scope > div", sub.parentElement));`,

		"social-media": `
			var m = Q.match(/^For the user (.*), click on the "(.*)" button\.$/), user = m[1], label = m[2];
			var post = $$("#area .media").filter(function (p) { return txt($(".username", p)) === user; })[0];
			var direct = { Reply: "reply", Retweet: "retweet", Like: "like" }[label];
			if (direct) return click($(".controls ." + direct, post));
			var item = $$("li", post).filter(function (li) { return txt(li).indexOf(label) === 0; })[0];
			if (!shown(item)) return click($(".more", post));
			return click(item);`,
		"social-media-all":  socialMediaCount,
		"social-media-some": socialMediaCount,

		// Search for the name, go to the result's page, click the result.
		"search-engine": `
			var want = quoted(0), pos = +Q.match(/click the (\d+)\w\w search result/)[1] - 1;
			var box = $("#search-text");
			if (box.value.toLowerCase() !== want.toLowerCase() || !$$("#page-content a").length) {
				return fill(box, want) || click($("#search"));
			}
			var link = $('#page-content a[data-result="' + pos + '"]');
			if (link) return click(link);
			var page = String(Math.floor(pos / 3) + 1);
			return click($$("#pagination a").filter(function (a) { return txt(a) === page; })[0]);`,
	})
	officialSteps["click-menu"] = 20       // a key press per item passed on the way
	officialSteps["social-media-all"] = 30 // up to a dozen posts, scrolling among them
	officialSteps["social-media-some"] = 30
}

// tabLink shows the tab whose panel holds a link with the instruction's
// text and clicks the link.
const tabLink = `
	var want = quoted(0);
	var links = $$("#area .alink").filter(function (a) { return txt(a) === want; });
	var vis = links.filter(shown)[0];
	if (vis) return click(vis);
	// click-tab-2-medium empties the second tab; when that held the link,
	// the second tab itself is the answer.
	if (!links.length) return click($$("#area li.ui-tab")[1]);
	var panel = links[0].closest("[id^=tabs-]");
	return click($('#area ul a[href="#' + panel.id + '"]'));`

// socialMediaCount toggles the action on the user's posts until as many
// are active as asked (all of them on social-media-all), clearing any other
// active button first, and submits.
const socialMediaCount = `
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
	return click($("#submitRow button"));`
