package miniwob

// Solvers of assorted form and reading tasks (see official_expert.go).
func init() {
	addSolvers(map[string]string{
		"unicode-test": solver("unicode-test"),

		// The captcha's letters are spans of the page, skewed only in how
		// they are drawn.
		"text-transform": solver("text-transform"),

		// Typing the text reaches the same value as copy and paste.
		"copy-paste":   solver("copy-paste"),
		"copy-paste-2": solver("copy-paste-2"),

		// The cards' values are in the page even while they are face down.
		"find-greatest": solver("find-greatest"),

		// One contact per page: page on until the person shows.
		"phone-book": solver("phone-book"),

		// The slider takes the arrow keys once its handle has the focus.
		"form-sequence":   solver("form-sequence"),
		"form-sequence-2": solver("form-sequence-2"),
		// The drop-down is a Selectric widget: open it, click the option.
		"form-sequence-3": solver("form-sequence-3"),

		// The page's own utterance names the colour even when the
		// instruction shows a swatch.
		"click-color":     solver("click-color"),
		"click-shades":    solver("click-shades"),
		"grid-coordinate": solver("grid-coordinate"),
		// Bisection on the page's feedback; the bounds are remembered for
		// the episode. Guesses are one digit, so one Backspace clears the
		// field (a number input has no text selection to replace).
		"guess-number": solver("guess-number"),
		// The spinner ignores keys; its arrow buttons step by one.
		"use-spinner": solver("use-spinner"),

		// The page keeps the time of the first click (currentTime) and the
		// delay asked for (timeDelay) global; the second click is timed to
		// land on the delay, less a click's latency.
		"button-delay": solver("button-delay"),

		"generate-number": solver("generate-number"),

		"use-slider":   solver("use-slider"),
		"use-slider-2": solver("use-slider-2"),

		// The digit's pattern is the page's global PATTERNS (the example
		// beside the grid draws it); the grid is the page's first 28 boxes,
		// row by row, as the page checks them.
		"number-checkboxes": solver("number-checkboxes"),

		// Prices and durations are the buttons' and labels' data
		// attributes (the exact values behind the rounded text).
		"buy-ticket": solver("buy-ticket"),
	})
	officialSteps["number-checkboxes"] = 30 // up to 28 boxes to set
	officialSteps["form-sequence"] = 30     // the slider moves one step a key press
	officialSteps["click-shades"] = 15      // up to a dozen shades
	officialSteps["guess-number"] = 25      // four guesses of up to four steps
	officialSteps["use-spinner"] = 15       // ten steps of the spinner at most
	officialSteps["generate-number"] = 20   // generate until the number fits
	officialSteps["use-slider-2"] = 20      // three sliders, a few steps each
}

// slide is one step towards a jQuery UI slider holding n, or null when it
// does: one click on the track where n lies (an inset keeps the ends on
// the track), then, with the handle focused, arrow keys for what the
// click's rounding missed.
var slide = script("expert/slide.js")
