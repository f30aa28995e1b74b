package miniwob

// Solvers of the form tasks: enter-*, login-*, choose-* and use-* (see
// official_expert.go). Text goes in through fill: focus the field by
// clicking it, clear it if it holds something else, type.
func init() {
	addSolvers(map[string]string{
		"enter-text":         solver("enter-text"),
		"enter-text-dynamic": solver("enter-text-dynamic"),
		"enter-text-2":       solver("enter-text-2"),
		"enter-password":     solver("enter-password"),
		"login-user":         loginUser,
		// The popup that may come up on focusing a field is dismissed with
		// Cancel (OK leaves the page and fails).
		"login-user-popup": `
			var pop = $("#popup-cancel");
			if (pop && shown(pop)) return click(pop);
			` + loginUser,

		// A date input takes the date as typed (MM/DD/YYYY, as the
		// instruction writes it); its value reads YYYY-MM-DD.
		"enter-date": solver("enter-date"),
		"enter-time": solver("enter-time"),

		// The drop-down's options are listed with it; clicking one selects it.
		"choose-list": solver("choose-list"),

		"choose-date":         chooseDate,
		"choose-date-easy":    chooseDate,
		"choose-date-medium":  chooseDate,
		"choose-date-nodelay": chooseDate,

		// Any country the page's list (ui_utils.COUNTRIES) has that fits
		// the instruction will do; the widget's suggestions are not needed,
		// but an open suggestion menu is closed before submitting.
		"use-autocomplete":         useAutocomplete,
		"use-autocomplete-nodelay": useAutocomplete,
	})
	officialSteps["choose-date"] = 20 // up to 11 months back, the day, submit
	officialSteps["choose-date-medium"] = 20
	officialSteps["choose-date-nodelay"] = 20
}

var loginUser = script("expert/login-user.js")

// chooseDate opens the date picker, steps to the instruction's month and
// clicks the day, then submits.
var chooseDate = script("expert/choose-date.js")

var useAutocomplete = script("expert/use-autocomplete.js")
