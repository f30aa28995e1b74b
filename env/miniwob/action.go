package miniwob

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/chromedp/chromedp/kb"
)

// Width and Height are the size of the task area (instruction bar included)
// in CSS pixels; observations are screenshots of exactly this area, cropped
// from the top-left of a WindowWidth x WindowHeight browser window as
// MiniWoB++ does, so that a page laid out for that window (a dialog beside
// the task area, the score panel to its right) does not scroll the task
// area. MiniWoB++'s flight tasks (flight.*) use their own, larger sizes.
const (
	Width        = 160
	Height       = 210
	WindowWidth  = 500
	WindowHeight = 320

	FlightWidth        = 375
	FlightHeight       = 667
	FlightWindowWidth  = 600
	FlightWindowHeight = 800
)

type actionKind int

const (
	clickXY actionKind = iota
	clickID
	clickText
	typeText
	pressKey
	focusType // click an element, then type
	scroll
)

// action is one parsed agent action.
type action struct {
	kind actionKind
	x, y float64 // clickXY, scroll
	arg  string  // element id, element text, text to type, or canonical key name
	elem string  // focusType: the element id or ref
	down bool    // scroll: down (else up)
}

// String renders the canonical spelling, which parses back to the same action.
func (a action) String() string {
	switch a.kind {
	case clickXY:
		return fmt.Sprintf("click(%s,%s)", fmtNum(a.x), fmtNum(a.y))
	case clickID:
		return "click(#" + a.arg + ")"
	case clickText:
		return "click(" + quote(a.arg) + ")"
	case typeText:
		return "type(" + quote(a.arg) + ")"
	case focusType:
		return "type(#" + a.elem + "," + quote(a.arg) + ")"
	case scroll:
		dir := "up"
		if a.down {
			dir = "down"
		}
		return fmt.Sprintf("scroll(%s,%s,%s)", fmtNum(a.x), fmtNum(a.y), dir)
	default:
		return "press(" + a.arg + ")"
	}
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// quote writes s in double quotes, escaping only backslash and quote.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// keys maps lower-case key names (and aliases) to the canonical name and the
// chromedp kb encoding.
var keys = map[string]struct{ name, code string }{
	"enter":      {"Enter", kb.Enter},
	"return":     {"Enter", kb.Enter},
	"tab":        {"Tab", kb.Tab},
	"backspace":  {"Backspace", kb.Backspace},
	"escape":     {"Escape", kb.Escape},
	"esc":        {"Escape", kb.Escape},
	"space":      {"Space", " "},
	"delete":     {"Delete", kb.Delete},
	"arrowup":    {"ArrowUp", kb.ArrowUp},
	"up":         {"ArrowUp", kb.ArrowUp},
	"arrowdown":  {"ArrowDown", kb.ArrowDown},
	"down":       {"ArrowDown", kb.ArrowDown},
	"arrowleft":  {"ArrowLeft", kb.ArrowLeft},
	"left":       {"ArrowLeft", kb.ArrowLeft},
	"arrowright": {"ArrowRight", kb.ArrowRight},
	"right":      {"ArrowRight", kb.ArrowRight},
	"home":       {"Home", kb.Home},
	"end":        {"End", kb.End},
	"pageup":     {"PageUp", kb.PageUp},
	"pagedown":   {"PageDown", kb.PageDown},
	"ctrl+a":     {"Ctrl+A", "selectAll"},
	"ctrl+c":     {"Ctrl+C", "copy"},
	"ctrl+x":     {"Ctrl+X", "cut"},
	"ctrl+v":     {"Ctrl+V", "paste"},
}

// editCommands are the keys sent as the browser's editing command (the
// "code" of keys above): in headless Chromium a synthetic Ctrl+C does not
// copy by itself.
var editCommands = map[string]bool{"Ctrl+A": true, "Ctrl+C": true, "Ctrl+X": true, "Ctrl+V": true}

// KeyNames lists the canonical key names press() accepts.
var KeyNames = []string{"Enter", "Tab", "Backspace", "Escape", "Space", "Delete",
	"ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown",
	"Ctrl+A", "Ctrl+C", "Ctrl+X", "Ctrl+V"}

// keyDoc lists the keys for the prompt, briefly.
const keyDoc = "Enter, Tab, Backspace, Escape, Space, Delete, ArrowUp/Down/Left/Right, Home, End, PageUp/Down, Ctrl+A/C/X/V"

// maxTypeLen bounds type() so one reply cannot stall the browser.
const maxTypeLen = 200

// parseAction reads one choice for the 160x210 task area (see parseIn).
func parseAction(s string) (action, error) { return parseIn(s, Width, Height) }

// parseIn reads one choice such as `click(12, 80)`, `click(#subbtn)`,
// `click(#12)` (a ref), `click("OK")`, `type("hello")`,
// `type(#username, "bob")`, `press(Enter)`, `scroll(80,120,down)` or
// `scroll(down)`, with coordinates inside a w x h area. Names are
// case-insensitive; a trailing period is tolerated.
func parseIn(s string, w, h int) (action, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimSuffix(s, "."))
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return action{}, fmt.Errorf("want name(args), got %q", s)
	}
	name := strings.ToLower(strings.TrimSpace(s[:open]))
	args := strings.TrimSpace(s[open+1 : len(s)-1])
	switch name {
	case "click":
		return parseClick(args, w, h)
	case "scroll":
		return parseScroll(args, w, h)
	case "type":
		var elem string
		if strings.HasPrefix(args, "#") {
			comma := strings.IndexByte(args, ',')
			if comma < 0 {
				return action{}, fmt.Errorf("type: want type(#id, \"text\"), got type(%s)", args)
			}
			id, err := parseID(args[:comma])
			if err != nil {
				return action{}, fmt.Errorf("type: %v", err)
			}
			elem, args = id, strings.TrimSpace(args[comma+1:])
		}
		text, err := unquote(args)
		if err != nil {
			return action{}, fmt.Errorf("type: %v", err)
		}
		if text == "" {
			return action{}, fmt.Errorf("type: empty text")
		}
		if len(text) > maxTypeLen {
			return action{}, fmt.Errorf("type: text longer than %d bytes", maxTypeLen)
		}
		if elem != "" {
			return action{kind: focusType, elem: elem, arg: text}, nil
		}
		return action{kind: typeText, arg: text}, nil
	case "press":
		k := args
		if u, err := unquote(args); err == nil {
			k = u
		}
		key, ok := keys[strings.ToLower(strings.TrimSpace(k))]
		if !ok {
			return action{}, fmt.Errorf("press: unknown key %q (known: %s)", k, strings.Join(KeyNames, ", "))
		}
		return action{kind: pressKey, arg: key.name}, nil
	}
	return action{}, fmt.Errorf("unknown action %q (want click, type, press or scroll)", name)
}

// parseID reads `#id`: a DOM id or an element ref.
func parseID(s string) (string, error) {
	s = strings.TrimSpace(s)
	id := strings.TrimSpace(strings.TrimPrefix(s, "#"))
	if !strings.HasPrefix(s, "#") || id == "" || strings.ContainsAny(id, " \t\"'(),") {
		return "", fmt.Errorf("bad element id %q", s)
	}
	return id, nil
}

func parseScroll(args string, w, h int) (action, error) {
	parts := strings.Split(args, ",")
	dir := strings.ToLower(strings.TrimSpace(parts[len(parts)-1]))
	if dir != "up" && dir != "down" {
		return action{}, fmt.Errorf("scroll: want scroll(up), scroll(down) or scroll(x,y,down), got scroll(%s)", args)
	}
	a := action{kind: scroll, down: dir == "down", x: float64(w / 2), y: float64(h / 2)}
	switch len(parts) {
	case 1:
		return a, nil
	case 3:
		xy, err := parseXY(parts[:2], w, h)
		if err != nil {
			return action{}, fmt.Errorf("scroll: %v", err)
		}
		a.x, a.y = xy[0], xy[1]
		return a, nil
	}
	return action{}, fmt.Errorf("scroll: want scroll(up), scroll(down) or scroll(x,y,down), got scroll(%s)", args)
}

func parseClick(args string, w, h int) (action, error) {
	switch {
	case strings.HasPrefix(args, "#"):
		id, err := parseID(args)
		if err != nil {
			return action{}, fmt.Errorf("click: %v", err)
		}
		return action{kind: clickID, arg: id}, nil
	case strings.HasPrefix(args, `"`) || strings.HasPrefix(args, "'"):
		text, err := unquote(args)
		if err != nil {
			return action{}, fmt.Errorf("click: %v", err)
		}
		if strings.TrimSpace(text) == "" {
			return action{}, fmt.Errorf("click: empty text")
		}
		return action{kind: clickText, arg: text}, nil
	}
	parts := strings.Split(args, ",")
	if len(parts) != 2 {
		return action{}, fmt.Errorf("click: want (x,y), (#id) or (\"text\"), got (%s)", args)
	}
	xy, err := parseXY(parts, w, h)
	if err != nil {
		return action{}, fmt.Errorf("click: %v", err)
	}
	return action{kind: clickXY, x: xy[0], y: xy[1]}, nil
}

// parseXY reads two coordinates inside a w x h area.
func parseXY(parts []string, w, h int) ([2]float64, error) {
	var xy [2]float64
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return xy, fmt.Errorf("bad coordinate %q", strings.TrimSpace(p))
		}
		xy[i] = v
	}
	if xy[0] < 0 || xy[0] >= float64(w) || xy[1] < 0 || xy[1] >= float64(h) {
		return xy, fmt.Errorf("(%s,%s) outside the %dx%d area", fmtNum(xy[0]), fmtNum(xy[1]), w, h)
	}
	return xy, nil
}

// unquote reads one double- or single-quoted string that makes up all of s.
// Inside, a backslash escapes the next character.
func unquote(s string) (string, error) {
	if len(s) < 2 || (s[0] != '"' && s[0] != '\'') {
		return "", fmt.Errorf("want a quoted string, got %q", s)
	}
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == q:
			if i != len(s)-1 {
				return "", fmt.Errorf("text after the closing quote in %q", s)
			}
			return b.String(), nil
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("unterminated string %q", s)
}
