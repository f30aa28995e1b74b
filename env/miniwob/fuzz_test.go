package miniwob

import (
	"math"
	"slices"
	"strings"
	"testing"

	"vlmq/env"
)

// FuzzParseAction feeds arbitrary replies through what Step does before it
// touches the browser: the syntax's Extract, then parseAction. Every reply
// is refused with an error or gives an action that obeys the action
// space's bounds (a click inside the view, a known key, a non-empty id or
// text, typing at most maxTypeLen bytes), and whose canonical spelling,
// also as a whole "[action] ..." reply, parses back to the same action.
// No browser is needed.
//
// Longer: go test -run '^$' -fuzz=FuzzParseAction -fuzztime=5m ./env/miniwob
func FuzzParseAction(f *testing.F) {
	for _, s := range []string{
		"[action] click(12,80)", "[action] CLICK( 12 , 80.5 ).", "[action] click(#subbtn)", `[action] click("OK")`, `[action] type(#3,"a,b")`, "[action] scroll(4,60,up)",
		`[action] click('Tab #2')`, `[action] type("say \"hi\" \\ bye")`, `[action] Type('it\'s')`, "[action] press(Enter)",
		`[action] press("tab")`, "I think the button is at the top.\n[action] click(80,130)", "[action] click(1e2,-0)",
		"[action] click(0x10,3)", "[action] click(Inf,3)", "[action] type(\"\")", "[action] press(F13)",
		"[action] click(#a b)", `[action] click("unterminated)`, "[ACTION] click(#x)", "no marker at all", "",
		"[action] type('" + strings.Repeat("x", maxTypeLen+1) + "')",
	} {
		f.Add(s)
	}
	syn := env.DefaultSyntax()
	f.Fuzz(func(t *testing.T, reply string) {
		choice, ok := syn.Extract(reply)
		if !ok {
			return
		}
		a, err := parseAction(choice)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("empty error for %q", choice)
			}
			return
		}
		switch a.kind {
		case clickXY:
			if math.IsNaN(a.x) || math.IsNaN(a.y) || a.x < 0 || a.x >= Width || a.y < 0 || a.y >= Height {
				t.Fatalf("%q: click at (%v,%v) outside the %dx%d view", choice, a.x, a.y, Width, Height)
			}
		case clickID:
			if a.arg == "" || strings.ContainsAny(a.arg, " \t\"'()") {
				t.Fatalf("%q: bad element id %q accepted", choice, a.arg)
			}
		case clickText:
			if strings.TrimSpace(a.arg) == "" {
				t.Fatalf("%q: empty click text accepted", choice)
			}
		case typeText:
			if a.arg == "" || len(a.arg) > maxTypeLen {
				t.Fatalf("%q: typing %d bytes accepted", choice, len(a.arg))
			}
		case focusType:
			if a.elem == "" || strings.ContainsAny(a.elem, " \t\"'(),") || a.arg == "" || len(a.arg) > maxTypeLen {
				t.Fatalf("%q: bad focus-and-type %+v accepted", choice, a)
			}
		case scroll:
			if math.IsNaN(a.x) || math.IsNaN(a.y) || a.x < 0 || a.x >= Width || a.y < 0 || a.y >= Height {
				t.Fatalf("%q: scroll at (%v,%v) outside the %dx%d view", choice, a.x, a.y, Width, Height)
			}
		case pressKey:
			if !slices.Contains(KeyNames, a.arg) {
				t.Fatalf("%q: key %q is not one of KeyNames", choice, a.arg)
			}
		default:
			t.Fatalf("%q: unknown action kind %d", choice, a.kind)
		}
		canon := a.String()
		back, err := parseAction(canon)
		if err != nil || back != a {
			t.Fatalf("%q parsed to %+v, whose spelling %q parses to %+v, %v", choice, a, canon, back, err)
		}
		c2, ok := syn.Extract(syn.Format(canon))
		if !ok {
			t.Fatalf("the reply %q has no choice", syn.Format(canon))
		}
		if again, err := parseAction(c2); err != nil || again != a {
			t.Fatalf("the reply %q parses to %+v, %v; want %+v", syn.Format(canon), again, err, a)
		}
	})
}
