package miniwob

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/chromedp/chromedp/kb"
)

// Width and Height are the size of the task area (instruction bar included)
// in CSS pixels; observations are screenshots of exactly this area.
const (
	Width  = 160
	Height = 210
)

type actionKind int

const (
	clickXY actionKind = iota
	clickID
	clickText
	typeText
	pressKey
)

// action is one parsed agent action.
type action struct {
	kind actionKind
	x, y float64 // clickXY
	arg  string  // element id, element text, text to type, or canonical key name
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
}

// KeyNames lists the canonical key names press() accepts.
var KeyNames = []string{"Enter", "Tab", "Backspace", "Escape", "Space", "Delete",
	"ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"}

// maxTypeLen bounds type() so one reply cannot stall the browser.
const maxTypeLen = 200

// parseAction reads one choice such as `click(12, 80)`, `click(#subbtn)`,
// `click("OK")`, `type("hello")` or `press(Enter)`. Names are
// case-insensitive; a trailing period is tolerated.
func parseAction(s string) (action, error) {
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
		return parseClick(args)
	case "type":
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
	return action{}, fmt.Errorf("unknown action %q (want click, type or press)", name)
}

func parseClick(args string) (action, error) {
	switch {
	case strings.HasPrefix(args, "#"):
		id := strings.TrimSpace(args[1:])
		if id == "" || strings.ContainsAny(id, " \t\"'()") {
			return action{}, fmt.Errorf("click: bad element id %q", args)
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
	var xy [2]float64
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return action{}, fmt.Errorf("click: bad coordinate %q", strings.TrimSpace(p))
		}
		xy[i] = v
	}
	if xy[0] < 0 || xy[0] >= Width || xy[1] < 0 || xy[1] >= Height {
		return action{}, fmt.Errorf("click: (%s,%s) outside the %dx%d area", fmtNum(xy[0]), fmtNum(xy[1]), Width, Height)
	}
	return action{kind: clickXY, x: xy[0], y: xy[1]}, nil
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
