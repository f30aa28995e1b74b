package miniwob

import (
	"strings"
	"testing"
)

func TestParseAction(t *testing.T) {
	tests := []struct {
		in   string
		want action
	}{
		{"click(12,80)", action{kind: clickXY, x: 12, y: 80}},
		{" CLICK( 12 , 80.5 ) ", action{kind: clickXY, x: 12, y: 80.5}},
		{"click(0,0)", action{kind: clickXY}},
		{"click(159.9,209)", action{kind: clickXY, x: 159.9, y: 209}},
		{"click(#subbtn)", action{kind: clickID, arg: "subbtn"}},
		{"click( #opt-2 ).", action{kind: clickID, arg: "opt-2"}},
		{`click("OK")`, action{kind: clickText, arg: "OK"}},
		{`click('Tab #2')`, action{kind: clickText, arg: "Tab #2"}},
		{`click("a (b)")`, action{kind: clickText, arg: "a (b)"}},
		{`type("hello world")`, action{kind: typeText, arg: "hello world"}},
		{`Type('it\'s')`, action{kind: typeText, arg: "it's"}},
		{`type("say \"hi\" \\ bye")`, action{kind: typeText, arg: `say "hi" \ bye`}},
		{"press(Enter)", action{kind: pressKey, arg: "Enter"}},
		{"press(enter)", action{kind: pressKey, arg: "Enter"}},
		{`press("Tab")`, action{kind: pressKey, arg: "Tab"}},
		{"press(esc)", action{kind: pressKey, arg: "Escape"}},
		{"press(down)", action{kind: pressKey, arg: "ArrowDown"}},
		{"press(ctrl+c)", action{kind: pressKey, arg: "Ctrl+C"}},
		{"click(#12)", action{kind: clickID, arg: "12"}},
		{`type(#username, "bob, jr")`, action{kind: focusType, elem: "username", arg: "bob, jr"}},
		{`type( #7 ,'x')`, action{kind: focusType, elem: "7", arg: "x"}},
		{"scroll(down)", action{kind: scroll, down: true, x: 80, y: 105}},
		{"scroll(UP)", action{kind: scroll, x: 80, y: 105}},
		{"scroll(10, 120, down)", action{kind: scroll, down: true, x: 10, y: 120}},
	}
	for _, tc := range tests {
		got, err := parseAction(tc.in)
		if err != nil {
			t.Errorf("parseAction(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("parseAction(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		// The canonical spelling parses back to the same action.
		back, err := parseAction(got.String())
		if err != nil || back != got {
			t.Errorf("round trip of %q via %q = %+v, %v", tc.in, got.String(), back, err)
		}
	}
}

func TestParseActionRejects(t *testing.T) {
	bad := []struct{ in, why string }{
		{"", "name(args)"},
		{"click", "name(args)"},
		{"click 12,80", "name(args)"},
		{"click(12,80", "name(args)"},
		{"tap(12,80)", "unknown action"},
		{"click(12)", "want (x,y)"},
		{"click(1,2,3)", "want (x,y)"},
		{"click(a,b)", "bad coordinate"},
		{"click(NaN,3)", "bad coordinate"},
		{"click(160,10)", "outside"},
		{"click(10,210)", "outside"},
		{"click(-1,10)", "outside"},
		{"click(#)", "bad element id"},
		{"click(#a b)", "bad element id"},
		{`click("")`, "empty text"},
		{`click("ok)`, "unterminated"},
		{`type(hello)`, "quoted string"},
		{`type("")`, "empty text"},
		{`type("a" "b")`, "after the closing quote"},
		{`type("` + strings.Repeat("x", maxTypeLen+1) + `")`, "longer than"},
		{"press(F13)", "unknown key"},
		{"press()", "unknown key"},
	}
	for _, tc := range bad {
		_, err := parseAction(tc.in)
		if err == nil {
			t.Errorf("parseAction(%q) succeeded, want error", tc.in)
			continue
		}
		if !strings.Contains(err.Error(), tc.why) {
			t.Errorf("parseAction(%q) error %q, want it to mention %q", tc.in, err, tc.why)
		}
	}
}

func TestKeyNamesAllParse(t *testing.T) {
	for _, k := range KeyNames {
		a, err := parseAction("press(" + k + ")")
		if err != nil || a.arg != k {
			t.Errorf("press(%s) = %+v, %v", k, a, err)
		}
	}
}
