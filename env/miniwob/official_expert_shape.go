package miniwob

// Solvers of the shape-grid tasks (see official_expert.go). The page draws
// each shape as one SVG element; its tag, text, fill and drawn size give
// the attributes the instruction may name (size, colour, kind).
func init() {
	addSolvers(map[string]string{
		"click-shape":     shapeLib + solver("click-shape"),
		"count-shape":     shapeLib + solver("count-shape"),
		"visual-addition": solver("visual-addition"),
	})
}

// shapeLib reads the shapes off the SVG (a size-1 shape is drawn 20 px
// across, a size-0 one 10 px) and parses a description such as "large red
// circle", "small digit" or "blue item".
var shapeLib = script("expert/shape-lib.js")
