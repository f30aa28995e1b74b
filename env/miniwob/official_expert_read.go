package miniwob

// Solvers of tasks that ask to read something off the page and enter or
// pick the answer: tables, words, sums, shapes, labelled forms (see
// official_expert.go).
func init() {
	addSolvers(map[string]string{
		// The one shape is an SVG text (a letter or a digit), rect, circle
		// or polygon (a triangle); the buttons carry the type.
		"identify-shape": solver("identify-shape"),

		// The answer is compared without punctuation, so the word as it
		// stands in the paragraph is stripped the same way.
		"find-word": solver("find-word"),

		"read-table":   solver("read-table"),
		"read-table-2": solver("read-table-2"),

		"simple-arithmetic": solver("simple-arithmetic"),
		// x op d = r or d op x = r, for x.
		"simple-algebra": solver("simple-algebra"),

		"odd-or-even": solver("odd-or-even"),

		"multi-layouts":   movieSearch,
		"multi-orderings": movieSearch,
	})
}

// movieSearch fills the three fields by the labels next to them, whatever
// the layout, and presses the layout's submit control.
var movieSearch = script("expert/movie-search.js")
