package miniwob

// Solvers of tasks built on composite widgets: trees, tabs, menus, social
// media feeds and the search engine (see official_expert.go).
func init() {
	addSolvers(map[string]string{
		// Open the closed folders above the named item, then click it.
		"navigate-tree": solver("navigate-tree"),

		"click-tab-2":        tabLink,
		"click-tab-2-easy":   tabLink,
		"click-tab-2-medium": tabLink,
		"click-tab-2-hard":   tabLink,

		// A path A>B>C. Clicking an item selects it, even one with a
		// submenu, and the mouse cannot hover, so the menu is driven by the
		// keyboard: Tab focuses it, the arrows move along the path
		// (ArrowRight opens a submenu, ArrowLeft closes a wrong one), Enter
		// selects the leaf.
		"click-menu": solver("click-menu"),

		// The item is named by its label or by its icon's class; items under
		// Playback need that submenu open.
		"click-menu-2": solver("click-menu-2"),

		"social-media":      solver("social-media"),
		"social-media-all":  socialMediaCount,
		"social-media-some": socialMediaCount,

		// Search for the name, go to the result's page, click the result.
		"search-engine": solver("search-engine"),
	})
	officialSteps["click-menu"] = 20       // a key press per item passed on the way
	officialSteps["social-media-all"] = 30 // up to a dozen posts, scrolling among them
	officialSteps["social-media-some"] = 30
}

// tabLink shows the tab whose panel holds a link with the instruction's
// text and clicks the link.
var tabLink = script("expert/tab-link.js")

// socialMediaCount toggles the action on the user's posts until as many
// are active as asked (all of them on social-media-all), clearing any other
// active button first, and submits.
var socialMediaCount = script("expert/social-media-count.js")
