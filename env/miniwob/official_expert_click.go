package miniwob

// Solvers of the click-* and focus-* tasks (see official_expert.go). Most
// read the target from the instruction's quoted text and find the element
// that shows it.
func init() {
	addSolvers(map[string]string{
		"click-button": solver("click-button"),

		// Every link with the instruction's text rewards, so the first will do.
		"click-link": solver("click-link"),

		"click-dialog": solver("click-dialog"),

		// The title bar's close button answers to "x".
		"click-dialog-2": solver("click-dialog-2"),

		"click-tab": solver("click-tab"),

		// The option's label carries its name; the radio button is inside it.
		"click-option": solver("click-option"),

		"click-checkboxes":          checkboxesByName,
		"click-checkboxes-transfer": checkboxesByName,
		"click-checkboxes-large":    checkboxesByName,

		// The instruction names one synonym of each box to tick; the page
		// keeps its synonym sets global (SYNONYMS), the reference a person
		// would bring.
		"click-checkboxes-soft": solver("click-checkboxes-soft"),

		"click-test":          solver("click-test"),
		"click-test-2":        solver("click-test-2"),
		"click-test-transfer": solver("click-test-transfer"),

		// The widget's type is the data-type of the control inside it.
		"click-widget": solver("click-widget"),

		"click-button-sequence": solver("click-button-sequence"),

		"click-collapsible":           collapsibleSubmit,
		"click-collapsible-nodelay":   collapsibleSubmit,
		"click-collapsible-2":         collapsibleLink,
		"click-collapsible-2-nodelay": collapsibleLink,

		"focus-text":   solver("focus-text"),
		"focus-text-2": solver("focus-text-2"),
	})
}

// checkboxesByName ticks exactly the boxes the instruction lists by name
// ("nothing" for none), then submits.
var checkboxesByName = script("expert/checkboxes-by-name.js")

// collapsibleSubmit opens the section, waits for its animation, submits.
var collapsibleSubmit = script("expert/collapsible-submit.js")

// collapsibleLink opens the section that holds a link with the
// instruction's text and clicks that link.
var collapsibleLink = script("expert/collapsible-link.js")
