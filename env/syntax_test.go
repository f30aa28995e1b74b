package env

import (
	"strings"
	"testing"
)

func TestExtract(t *testing.T) {
	s := DefaultSyntax()
	cases := []struct {
		reply, want string
		ok          bool
	}{
		{"[action] +", "+", true},
		{"I think so. [action] -", "-", true},
		{"[ACTION]  hit  ", "hit", true},
		{"[action] first\n[action] second", "second", true},
		{"[action] stand\nbecause 17", "stand", true},
		{"[action]", "", false},
		{"[action]   \n", "", false},
		{"action +", "", false},
		{"[act +", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, ok := s.Extract(c.reply)
		if got != c.want || ok != c.ok {
			t.Errorf("Extract(%q) = %q,%v want %q,%v", c.reply, got, ok, c.want, c.ok)
		}
	}
	cs := Syntax{Marker: "Action:", CaseSensitive: true}
	if _, ok := cs.Extract("action: go"); ok {
		t.Error("case-sensitive marker matched lower case")
	}
	if got, ok := cs.Extract("Action: go"); !ok || got != "go" {
		t.Errorf("custom marker: got %q,%v", got, ok)
	}
	if _, ok := (Syntax{}).Extract("[action] x"); ok {
		t.Error("empty marker must not parse")
	}
}

func TestChoose(t *testing.T) {
	s := DefaultSyntax()
	legal := []string{"stand", "hit"}
	cases := []struct {
		reply, want string
		ok          bool
	}{
		{"[action] HIT", "hit", true},
		{"[action] stand", "stand", true},
		{"[action] double", "", false},
		{"[action] hitstand", "", false},
		{"hit", "", false},
	}
	for _, c := range cases {
		got, ok := s.Choose(c.reply, legal)
		if got != c.want || ok != c.ok {
			t.Errorf("Choose(%q) = %q,%v want %q,%v", c.reply, got, ok, c.want, c.ok)
		}
	}
}

func TestFormatRoundTrip(t *testing.T) {
	for _, s := range []Syntax{DefaultSyntax(), {Marker: "ACT>"}} {
		for _, c := range []string{"+", "click(3,4)", "type(\"a b\")"} {
			got, ok := s.Extract(s.Format(c))
			if !ok || got != c {
				t.Errorf("%q: round trip of %q gave %q,%v", s.Marker, c, got, ok)
			}
		}
	}
}

func TestPromptHasParts(t *testing.T) {
	p := Prompt(Task{Goal: "reach 3", Actions: "+ or -", Example: "+"}, Observation{Text: "Current: 1"}, DefaultSyntax())
	for _, part := range []string{"reach 3", "+ or -", "[action] +", "Current: 1"} {
		if !strings.Contains(p, part) {
			t.Errorf("prompt lacks %q:\n%s", part, p)
		}
	}
}

func FuzzExtract(f *testing.F) {
	for _, s := range []string{"[action] +", "x [ACTION] y\nz", "[action]", "\xff[action]\xfe"} {
		f.Add(s)
	}
	s := DefaultSyntax()
	f.Fuzz(func(t *testing.T, reply string) {
		c, ok := s.Extract(reply)
		if ok != (c != "") {
			t.Fatalf("ok=%v with choice %q", ok, c)
		}
		if ok {
			if strings.ContainsAny(c, "\r\n") || strings.TrimSpace(c) != c {
				t.Fatalf("choice %q not a trimmed single line", c)
			}
			if got, ok2 := s.Extract(s.Format(c)); !ok2 || got != c {
				t.Fatalf("re-extract %q gave %q", c, got)
			}
		}
	})
}
