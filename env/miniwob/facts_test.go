package miniwob

import (
	"fmt"
	"strings"
	"testing"
)

// TestInstructionFacts checks, on several seeds of every task of our
// suite, the facts about what the instruction names and asks to type
// against the page's ground truth and the instruction's own words: the
// named element carries the instruction's label, each field's text is
// the truth's, and quotes are copied exactly.
func TestInstructionFacts(t *testing.T) {
	// Which truth strings each typing task's fields must hold.
	typed := map[string][][2]string{
		"enter-text":     {{"tt", "text"}},
		"login-user":     {{"username", "username"}, {"password", "password"}},
		"enter-password": {{"password", "text"}, {"verify", "text"}},
	}
	// How the instruction words the named element's label.
	label := map[string]func(ins string) string{
		"click-button":   quote1,
		"click-link":     quote1,
		"click-dialog-2": quote1,
		"click-tab-2":    quote1,
		"click-color": func(ins string) string {
			return strings.TrimSuffix(strings.TrimPrefix(ins, "Click on the "), " colored box.")
		},
		"choose-list": func(ins string) string {
			return strings.TrimSuffix(strings.TrimPrefix(ins, "Select "), " from the list and click Submit.")
		},
		"click-option": func(ins string) string {
			return strings.TrimSuffix(strings.TrimPrefix(ins, "Select "), " and click Submit.")
		},
	}
	for _, task := range Tasks {
		t.Run(task, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, task, Options{})
			x := NewExpert(e)
			named := 0
			for seed := range int64(4) {
				if _, err := e.Reset(seed); err != nil {
					t.Fatal(err)
				}
				x.Reset()
				tr, err := e.truth()
				if err != nil {
					t.Fatal(err)
				}
				if task == "click-tab-2" && tr["tab"] != "tab0" {
					// The expert opens the link's tab first.
					c, err := x.Act()
					if err != nil {
						t.Fatal(err)
					}
					if st, err := e.Step(e.Syntax().Format(c)); err != nil || st.Done {
						t.Fatalf("seed %d: opening the tab: %v %+v", seed, err, st)
					}
				}
				facts := map[string]string{}
				for _, qa := range e.Facts() {
					facts[qa.Question] = qa.Answer
				}
				ins := e.Instruction()
				byDOM := map[string]Element{}
				for _, el := range e.Elements() {
					byDOM[el.DOMID] = el
				}
				quotes := strings.Split(ins, `"`)
				for i := 1; i < len(quotes); i += 2 {
					q := fmt.Sprintf("What does quote %d of the instruction say?", (i+1)/2)
					if facts[q] != quotes[i] {
						t.Errorf("seed %d: %q = %q, want %q", seed, q, facts[q], quotes[i])
					}
				}
				if _, ok := facts[fmt.Sprintf("What does quote %d of the instruction say?", len(quotes)/2+1)]; ok {
					t.Errorf("seed %d: more quotes asked of than %q holds", seed, ins)
				}
				got, asked := facts["Which element does the instruction name?"]
				if id, ok := tr["id"].(string); ok {
					el, listed := byDOM[id]
					switch {
					case listed && got != "#"+el.ID:
						t.Errorf("seed %d: named element %q, want #%s", seed, got, el.ID)
					case !listed && asked:
						t.Errorf("seed %d: named element %q, but #%s is not listed", seed, got, id)
					case listed && label[task] != nil && el.Text != label[task](ins):
						t.Errorf("seed %d: the named element says %q, the instruction %q", seed, el.Text, ins)
					}
					if listed {
						named++
					}
				} else if asked {
					t.Errorf("seed %d: %s names no one element, yet the answer is %q", seed, task, got)
				}
				if ids, ok := tr["ids"].([]any); ok {
					var want []string
					for _, id := range ids {
						want = append(want, "#"+byDOM[id.(string)].ID)
					}
					w := strings.Join(want, ", ")
					if w == "" {
						w = "none"
					}
					if got := facts["Which elements does the instruction name?"]; got != w {
						t.Errorf("seed %d: named elements %q, want %q", seed, got, w)
					}
				}
				for _, f := range typed[task] {
					q := fmt.Sprintf("What should you type into #%s?", byDOM[f[0]].ID)
					want, _ := tr[f[1]].(string)
					if facts[q] != want || want == "" || !strings.Contains(ins, `"`+want+`"`) {
						t.Errorf("seed %d: %q = %q, want %q quoted in %q", seed, q, facts[q], want, ins)
					}
				}
				if typed[task] == nil {
					for q := range facts {
						if strings.HasPrefix(q, "What should you type into") {
							t.Errorf("seed %d: %s asks %q", seed, task, q)
						}
					}
				}
			}
			if label[task] != nil && named == 0 {
				t.Errorf("no seed lists the named element")
			}
		})
	}
}

func quote1(ins string) string {
	q := strings.Split(ins, `"`)
	if len(q) < 3 {
		return ""
	}
	return q[1]
}

// TestOfficialInstructionFacts: on MiniWoB++ pages (VLMQ_MINIWOB_DIR) the
// named element is the one listed element carrying the instruction's
// only quote, and quotes are copied exactly.
func TestOfficialInstructionFacts(t *testing.T) {
	dir := officialDir(t)
	for _, task := range []string{"click-button", "click-link", "enter-text", "login-user", "click-dialog-2"} {
		t.Run(task, func(t *testing.T) {
			e := newEnv(t, task, Options{ExternalDir: dir})
			named := 0
			for seed := range int64(4) {
				if _, err := e.Reset(seed); err != nil {
					t.Fatal(err)
				}
				facts := map[string]string{}
				for _, qa := range e.Facts() {
					facts[qa.Question] = qa.Answer
				}
				ins := e.Instruction()
				quotes := strings.Split(ins, `"`)
				for i := 1; i < len(quotes); i += 2 {
					q := fmt.Sprintf("What does quote %d of the instruction say?", (i+1)/2)
					if want := strings.TrimSpace(quotes[i]); want != "" && facts[q] != want {
						t.Errorf("seed %d: %q = %q, want %q", seed, q, facts[q], want)
					}
				}
				got, ok := facts["Which element does the instruction name?"]
				if !ok {
					continue
				}
				named++
				var carriers []string
				for _, el := range e.Elements() {
					if strings.TrimSpace(el.Text) == quote1(ins) {
						carriers = append(carriers, "#"+el.ID)
					}
				}
				if len(quotes) != 3 || len(carriers) != 1 || got != carriers[0] {
					t.Errorf("seed %d: named %q for %q (elements carrying its quote: %v)", seed, got, ins, carriers)
				}
				for q := range facts {
					if strings.HasPrefix(q, "What should you type into") {
						t.Errorf("seed %d: %q asked without the page's ground truth", seed, q)
					}
				}
			}
			if (task == "click-button" || task == "click-link") && named == 0 {
				t.Error("no seed names an element")
			}
		})
	}
}
