package cli

import (
	"strings"
	"testing"

	"vlmq/experiment"
)

func TestMistakesText(t *testing.T) {
	m := func(env, typ string, text bool, q string) experiment.QAMistake {
		return experiment.QAMistake{Env: env, Type: typ, WithText: text, Question: q, Want: "a|b", Got: "c\nd"}
	}
	wrong := []experiment.QAMistake{
		m("babyai/GoToLocal", "Where is the C K?", true, "q1"),
		m("babyai/GoToLocal", "Can you move forward?", false, "q2"),
		m("babyai/GoToLocal", "Where is the C K?", true, "q3"),
		m("babyai/GoToLocal", "Where is the C K?", false, "q4"),
		m("babyai/GoToLocal", "Where is the C K?", true, "q5"),
	}
	for _, c := range []struct {
		name  string
		wrong []experiment.QAMistake
		n     int
		want  []string // questions in order; nil = the "none" line
	}{
		{"none", nil, 3, nil},
		{"grouped, each group in order", wrong, 3, []string{"q2", "q4", "q1", "q3", "q5"}},
		{"at most n a group", wrong, 1, []string{"q2", "q4", "q1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := mistakesText(c.wrong, c.n)
			if c.want == nil {
				if !strings.Contains(out, "None") || strings.Contains(out, "|---|") {
					t.Fatalf("no mistakes rendered as\n%s", out)
				}
				return
			}
			var got []string
			for _, line := range strings.Split(out, "\n") {
				if f := strings.Split(line, " | "); len(f) == 5 && len(f[2]) == 2 {
					got = append(got, f[2])
					if f[3] != `a\|b` || f[4] != "c d |" {
						t.Errorf("cells not escaped: %q", line)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Fatalf("questions %v, want %v\n%s", got, c.want, out)
			}
		})
	}
}
