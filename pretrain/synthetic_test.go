package pretrain

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"vlmq/env"
)

// solve answers a synthetic question from the list alone, by parsing the
// text (not the generator's state): every answer must be derivable. ok is
// false when the list does not determine exactly one answer.
func solve(task, list, q string) (string, bool) {
	lines := strings.Split(list, "\n")
	switch task {
	case TaskKV:
		kv := map[string]string{}
		var keys []string
		for _, l := range lines {
			k, v, ok := strings.Cut(l, ": ")
			if !ok {
				return "", false
			}
			if k, ok = strings.CutPrefix(k, "- "); !ok {
				return "", false
			}
			if _, dup := kv[k]; dup {
				return "", false
			}
			kv[k] = v
			keys = append(keys, k)
		}
		if m := regexp.MustCompile(`^What is the value of (\w+)\?$`).FindStringSubmatch(q); m != nil {
			v, ok := kv[m[1]]
			return m[1] + ": " + v, ok
		}
		if m := regexp.MustCompile(`^Which key has the value (\w+)\?$`).FindStringSubmatch(q); m != nil {
			var found []string
			for _, k := range keys {
				if kv[k] == m[1] {
					found = append(found, k)
				}
			}
			return strings.Join(found, ","), len(found) == 1
		}
		if q == "How many keys are listed?" {
			return strconv.Itoa(len(keys)), true
		}
	case TaskWord:
		if m := regexp.MustCompile(`^What is word (\d+) of line (\d+)\?$`).FindStringSubmatch(q); m != nil {
			k, _ := strconv.Atoi(m[1])
			l, _ := strconv.Atoi(m[2])
			for _, line := range lines {
				num, words, _ := strings.Cut(line, ": ")
				if num == m[2] {
					w := strings.Fields(words)
					if k < 1 || k > len(w) || l < 1 {
						return "", false
					}
					return w[k-1], true
				}
			}
		}
		if m := regexp.MustCompile(`^Repeat line (\d+)\.$`).FindStringSubmatch(q); m != nil {
			for _, line := range lines {
				if num, words, _ := strings.Cut(line, ": "); num == m[1] {
					return words, true
				}
			}
		}
	case TaskCopy:
		m := regexp.MustCompile(`^Copy line (\d+)(?: from word (\d+))?\.$`).FindStringSubmatch(q)
		if m == nil {
			return "", false
		}
		for _, line := range lines {
			num, words, _ := strings.Cut(line, ": ")
			if num != m[1] {
				continue
			}
			if m[2] == "" {
				return line, true
			}
			a, _ := strconv.Atoi(m[2])
			w := strings.Fields(words)
			if a < 2 || a > len(w) {
				return "", false
			}
			return strings.Join(w[a-1:], " "), true
		}
	case TaskMatch:
		type e struct{ name, obj, pos string }
		var es []e
		re := regexp.MustCompile(`^- (\w+): (\w+ \w+) at (\d+)$`)
		for _, l := range lines {
			m := re.FindStringSubmatch(l)
			if m == nil {
				return "", false
			}
			es = append(es, e{m[1], m[2], m[3]})
		}
		find := func(match func(e) bool, answer func(e) string) (string, bool) { return findOne(es, match, answer) }
		if m := regexp.MustCompile(`^Which entry is the (\w+ \w+)\?$`).FindStringSubmatch(q); m != nil {
			return find(func(x e) bool { return x.obj == m[1] }, func(x e) string { return x.name })
		}
		if m := regexp.MustCompile(`^Which entry is at (\d+)\?$`).FindStringSubmatch(q); m != nil {
			return find(func(x e) bool { return x.pos == m[1] }, func(x e) string { return x.name })
		}
		if m := regexp.MustCompile(`^Where is the (\w+ \w+)\?$`).FindStringSubmatch(q); m != nil {
			return find(func(x e) bool { return x.obj == m[1] }, func(x e) string { return x.obj + " at " + x.pos })
		}
		if m := regexp.MustCompile(`^What is at (\d+)\?$`).FindStringSubmatch(q); m != nil {
			return find(func(x e) bool { return x.pos == m[1] }, func(x e) string { return x.obj })
		}
		if m := regexp.MustCompile(`^What is (\w+)\?$`).FindStringSubmatch(q); m != nil {
			return find(func(x e) bool { return x.name == m[1] }, func(x e) string { return x.name + ": " + x.obj + " at " + x.pos })
		}
	case TaskSpan:
		var goal string
		if m := regexp.MustCompile(`^Goal: go to (?:a|the) (\w+ \w+)$`).FindStringSubmatch(lines[0]); m != nil {
			goal, lines = m[1], lines[1:]
		}
		scene, ok := strings.CutPrefix(strings.Join(lines, "\n"), "You see: ")
		if !ok || !strings.HasSuffix(scene, ".") {
			return "", false
		}
		type e struct{ obj, pos string }
		var es []e
		re := regexp.MustCompile(`^(\w+ \w+) ((?:\d+ ahead)?(?: ?\d+ (?:left|right))?)$`)
		for _, part := range strings.Split(strings.TrimSuffix(scene, "."), "; ") {
			m := re.FindStringSubmatch(part)
			if m == nil || m[2] == "" {
				return "", false
			}
			es = append(es, e{m[1], m[2]})
		}
		find := func(match func(e) bool, answer func(e) string) (string, bool) { return findOne(es, match, answer) }
		turn := func(x e) string {
			switch {
			case strings.HasSuffix(x.pos, "left"):
				return "left"
			case strings.HasSuffix(x.pos, "right"):
				return "right"
			}
			return "none"
		}
		q = strings.Replace(q, "the object the goal names", "the "+goal, 1)
		if m := regexp.MustCompile(`^Where is the (\w+ \w+)\?$`).FindStringSubmatch(q); m != nil {
			return find(func(x e) bool { return x.obj == m[1] }, func(x e) string { return x.obj + " " + x.pos })
		}
		if m := regexp.MustCompile(`^Which way should you turn to face the (\w+ \w+)\?$`).FindStringSubmatch(q); m != nil {
			return find(func(x e) bool { return x.obj == m[1] }, turn)
		}
		if m := regexp.MustCompile(`^What is at (.+)\?$`).FindStringSubmatch(q); m != nil {
			return find(func(x e) bool { return x.pos == m[1] }, func(x e) string { return x.obj })
		}
		front, _ := findOne(es, func(x e) bool { return x.pos == "1 ahead" }, func(x e) string { return x.obj })
		switch q {
		case "What is directly in front of you?":
			return cmp.Or(front, "nothing"), true
		case "Can you move forward?":
			if strings.HasSuffix(front, " door") {
				return "", false // a scene's doors have no state
			}
			return map[bool]string{true: "yes", false: "no"}[front == ""], true
		}
	case TaskPage:
		// The probe's lists have no instruction line.
		instr, ok := strings.CutPrefix(lines[0], "Instruction: ")
		if ok {
			lines = lines[1:]
		}
		if len(lines) < 2 || lines[0] != "Elements:" {
			return "", false
		}
		lines = lines[1:]
		type e struct{ id, text string }
		var es []e
		re := regexp.MustCompile(`^(#\d+) \w+ "([^"]+)"$`)
		for _, l := range lines {
			m := re.FindStringSubmatch(l)
			if m == nil {
				return "", false
			}
			es = append(es, e{m[1], m[2]})
		}
		quote := regexp.MustCompile(`"([^"]+)"`).FindStringSubmatch(instr)
		if quote == nil {
			quote = []string{"", ""} // no instruction: only "Which element says" is asked
		}
		find := func(match func(e) bool, answer func(e) string) (string, bool) { return findOne(es, match, answer) }
		id := func(x e) string { return x.id }
		switch {
		case q == "What does the instruction say?":
			return instr, true
		case q == "What does quote 1 of the instruction say?":
			return quote[1], true
		case q == "Which element does the instruction name?":
			return find(func(x e) bool { return x.text == quote[1] }, id)
		}
		if m := regexp.MustCompile(`^Which element says "([^"]+)"\?$`).FindStringSubmatch(q); m != nil {
			return find(func(x e) bool { return x.text == m[1] }, id)
		}
		if m := regexp.MustCompile(`^What does (#\d+) say\?$`).FindStringSubmatch(q); m != nil {
			return find(func(x e) bool { return x.id == m[1] }, func(x e) string { return x.text })
		}
	}
	return "", false
}

// findOne answers with the one entry of es that match accepts (ok false
// when none or several do).
func findOne[E any](es []E, match func(E) bool, answer func(E) string) (string, bool) {
	var found []string
	for _, x := range es {
		if match(x) {
			found = append(found, answer(x))
		}
	}
	return strings.Join(found, ","), len(found) == 1
}

// entries counts a synthetic list's entries: its lines, or a span scene's
// objects.
func entries(task, list string) int {
	switch task {
	case TaskSpan:
		_, scene, _ := strings.Cut(list, "You see: ")
		return len(strings.Split(scene, "; "))
	case TaskPage:
		_, elems, _ := strings.Cut(list, "Elements:\n")
		return len(strings.Split(elems, "\n"))
	}
	return len(strings.Split(list, "\n"))
}

// formRe reads the form a format question names.
var formRe = regexp.MustCompile(`^(.*) Answer in the form: \[(\w+)\] (\S+)$`)

// TestSyntheticAnswersAreDerivable: for every task and list size, the same
// seed gives the same sequence, the list has distractors+1 entries, and
// each answer is the one the list determines.
func TestSyntheticAnswersAreDerivable(t *testing.T) {
	for _, task := range SyntheticTasks {
		if task == TaskGlyph {
			continue // its image answers it: TestGlyphAnswersAreReadable
		}
		for _, d := range []int{0, 1, 4, 16, MaxDistractors} {
			t.Run(fmt.Sprintf("%s/%d", task, d), func(t *testing.T) {
				kinds := map[string]bool{}
				for seed := uint64(0); seed < 40; seed++ {
					s, err := Synthetic(task, rand.New(rand.NewPCG(seed, 9)), d, 6)
					if err != nil {
						t.Fatal(err)
					}
					again, _ := Synthetic(task, rand.New(rand.NewPCG(seed, 9)), d, 6)
					if !reflect.DeepEqual(s, again) {
						t.Fatalf("seed %d: two draws differ", seed)
					}
					want := d + 1
					if task == TaskSpan {
						want = min(want, (spanAhead+1)*(2*spanSide+1)-1) // the view's cells
					}
					if n := entries(task, s.Context); n != want {
						t.Fatalf("seed %d: %d list entries, want %d", seed, n, want)
					}
					if want := min(6, d+1); len(s.QA) < want {
						t.Errorf("seed %d: %d questions, want at least %d", seed, len(s.QA), want)
					}
					for _, p := range s.QA {
						got, ok := solve(task, s.Context, p.Question)
						if !ok || got != p.Answer {
							t.Errorf("seed %d: %q answered %q, the list gives %q (determined %v)\n%s", seed, p.Question, p.Answer, got, ok, s.Context)
						}
						kinds[regexp.MustCompile(`\d+|[a-z]+\?$| the \w+ \w+\?$`).ReplaceAllString(p.Question, "#")] = true
					}
				}
				if len(kinds) < 2 && d > 2 {
					t.Errorf("only question kinds %v", kinds)
				}
				if task == TaskSpan && !(kinds["What is directly in front of #"] && kinds["Can you move #"]) {
					t.Errorf("no question about the cell ahead among %v", kinds)
				}
			})
		}
	}
	if _, err := Synthetic("nope", rand.New(rand.NewPCG(1, 1)), 1, 1); err == nil {
		t.Error("unknown task accepted")
	}
	for _, d := range []int{-1, MaxDistractors + 1} {
		if _, err := Synthetic(TaskKV, rand.New(rand.NewPCG(1, 1)), d, 1); err == nil {
			t.Errorf("%d distractors accepted", d)
		}
	}
	if _, err := Synthetic(TaskKV, rand.New(rand.NewPCG(1, 1)), 1, 0); err == nil {
		t.Error("0 questions accepted")
	}
}

// TestFormatQuestions: a format question names a bracketed form, its
// answer is the plain answer in that form, the bracket words vary, and no
// form is an action marker.
func TestFormatQuestions(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	words := map[string]bool{}
	concrete := 0
	for _, p := range []Pair{
		{"How many keys are listed?", "7"},
		{"Which entry is the red ball?", "apple"},
		{"What colour is the card?", "blue"},
		{"What is the value of stone?", "river"},
		{"Where is the green key?", "at 12"},
		{"Repeat line 2.", "tiger piano lemon"},
	} {
		for range 50 {
			f := formatPair(rng, p)
			m := formRe.FindStringSubmatch(f.Question)
			if m == nil || m[1] != p.Question {
				t.Fatalf("%q: no form named in %q", p.Question, f.Question)
			}
			if want := "[" + m[2] + "] " + p.Answer; f.Answer != want {
				t.Errorf("%q: answer %q, want %q", f.Question, f.Answer, want)
			}
			if strings.EqualFold(m[2], "action") {
				t.Errorf("%q names the action marker", f.Question)
			}
			if m[3] != "N" && m[3] != "X" {
				concrete++
			}
			words[m[2]] = true
		}
	}
	for _, w := range []string{"count", "answer", "value", "colour", "name"} {
		if !words[w] {
			t.Errorf("bracket word %q never used (used %v)", w, words)
		}
	}
	if concrete == 0 {
		t.Error("no form shows a concrete example")
	}
}

// TestTrainTokenizerCurriculum: with synthetic text the tokenizer gives
// the synthetic words at most two thirds of the tokens the env corpus
// alone gives them (measured: 208 against 433 at 500 tokens).
func TestTrainTokenizerCurriculum(t *testing.T) {
	c, err := Collect([]env.Env{&colourEnv{}}, CorpusOptions{Episodes: 4, MaxSteps: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := TrainTokenizer(c, 500)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := TrainTokenizerCurriculum(c, 500, 1, 300)
	if err != nil {
		t.Fatal(err)
	}
	count := func(tok interface{ Encode(string) []int }) int {
		n := 0
		for _, w := range synthWords {
			n += len(tok.Encode(" " + w))
		}
		return n
	}
	if a, b := count(plain), count(cur); 3*b > 2*a {
		t.Errorf("%d synthetic words take %d tokens with synthetic text, %d without", len(synthWords), b, a)
	}
	if _, err := TrainTokenizerCurriculum(c, 500, 1, -1); err == nil {
		t.Error("negative sample count accepted")
	}
}
