package pretrain

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// The synthetic tasks teach retrieval and copying from text alone: the
// skill the agent needs to find, in its observation, the entry its goal
// names (issue 24). Each draws a list (the sequence's context) and asks
// questions whose answers are read or copied from it.
//
// A lookup's answer quotes the entry it found, starting with the words
// the question names ("What is the value of shoe?" is answered "shoe: 55",
// "Where is the green key?" "green key at 12"). The echoed words put the
// key right before the token to predict, so the lookup is the copy an
// induction head makes (find the earlier "shoe:", copy what follows it).
// Answered with the bare value, the key sits several tokens back and a
// small model stalls for thousands of steps at choosing among the listed
// values at random (results/base-sweep/2026-12-07/retrieval-study).
const (
	// TaskKV: "key: value" lines, "What is the value of KEY?".
	TaskKV = "kv"
	// TaskWord: numbered lines of words, "What is word K of line L?".
	TaskWord = "word"
	// TaskMatch: entries (a name, a coloured object, a position), "Which
	// entry is the green key?" answered with the entry's name.
	TaskMatch = "match"
	// TaskSpan: a scene in BabyAI's words ("You see: green box 1 ahead 1
	// left; ..."), sometimes under a goal, "Where is the green box?"
	// answered by quoting the entry whole, and the reverse lookups. Its
	// positions are spans of common words every entry shares ("1",
	// "ahead", "left"): copying one needs more than the one-token match
	// that copies match's "at 12", and bases that passed the match probe
	// still answered BabyAI's "Where is the C K?" with the right object
	// and a stock position (results/base-v4/2026-12-07).
	TaskSpan = "span"
	// TaskPage: a page's element list in MiniWoB's words ("#7 button
	// \"apple\"") under an instruction naming one of them,
	// "Which element says \"apple\"?" answered "#7", which element the
	// instruction names, and the instruction or its quote copied. Every
	// line shares the tokens around its text (#, button, quotes, numbers),
	// and bases that passed the key-value probe still copied MiniWoB's
	// instruction with the wrong quoted word (0.10) and read the wrong id
	// (results/base-v4/2026-12-07/qa-step6000-families.md).
	TaskPage = "page"
	// TaskCopy: numbered lines over a small alphabet every line shares
	// (BabyAI's position words, colours and kinds, or digits), "Copy line
	// K." answered "K: <the line>", and "Copy line K from word A."
	// answered with its words from A on. Every word recurs across the
	// lines, so a copy cannot follow the word before it (the one-token
	// match that copies a key's value); it must keep its place in the
	// line. Bases stalled there on span's positions: "blue ball 4 ahead 3
	// left" was copied as "blue ball 4 ahead 1 right", the first word
	// after the key right and the rest a stock position, even with one
	// distractor (results/base-v5/2026-12-07/pilots).
	TaskCopy = "copy"
)

// SyntheticTasks lists the synthetic tasks.
var SyntheticTasks = []string{TaskKV, TaskWord, TaskMatch, TaskSpan, TaskPage, TaskCopy, TaskGlyph}

// MaxDistractors bounds the distractors of a synthetic list: keys and
// names are drawn without repetition from the word list.
const MaxDistractors = 48

// synthWords are the keys, values, names and line words. Short common
// words, so a tokenizer trained on some synthetic text (SyntheticText)
// gives most of them one token.
var synthWords = strings.Fields(`
apple river stone cloud tiger piano lemon candle rocket garden window silver
forest island pepper mirror bottle rabbit pencil planet basket camera dragon
engine finger guitar hammer jacket kettle ladder magnet needle orange parrot
pillow ribbon saddle tablet turtle violin wallet zebra anchor bridge castle
desert falcon harbor insect jungle koala lantern meadow nickel oyster pebble
sponge tunnel valley walrus bread chair clock flower horse house lamp moon
paper queen ring shoe snake sugar table train tree wheel wolf ship star`)

// Colours and kinds of the match task's objects (BabyAI's).
var (
	synthColours = []string{"red", "green", "blue", "purple", "yellow", "grey"}
	synthKinds   = []string{"ball", "key", "box", "door"}
)

// synthPositions bounds the match task's positions ("at 1" .. "at N").
const synthPositions = 60

// Synthetic draws one sequence of a synthetic task: a list with the target
// entries and `distractors` more, then `questions` questions about it
// (fewer when the list has fewer distinct answers to ask for). Its Image is
// nil, the text alone answering it (a Stream gives it a plain image),
// except the glyph task's, whose image alone answers it.
func Synthetic(task string, rng *rand.Rand, distractors, questions int) (Sequence, error) {
	if distractors < 0 || distractors > MaxDistractors {
		return Sequence{}, fmt.Errorf("pretrain: %d distractors, want 0 to %d", distractors, MaxDistractors)
	}
	if questions < 1 {
		return Sequence{}, fmt.Errorf("pretrain: %d questions, want at least 1", questions)
	}
	gen, ok := synthGen[task]
	if !ok {
		return Sequence{}, fmt.Errorf("pretrain: unknown synthetic task %q (have %v)", task, SyntheticTasks)
	}
	if task == TaskGlyph {
		if _, err := glyphFace(); err != nil {
			return Sequence{}, fmt.Errorf("pretrain: the glyph task's font: %w", err)
		}
	}
	return gen(rng, distractors+1, questions, true), nil
}

// synthGen draws each task's sequence of n entries and up to q questions:
// with extra, the training mix of question kinds; without, the probe's one
// lookup question (the word task has no probe).
var synthGen = map[string]func(rng *rand.Rand, n, q int, extra bool) Sequence{
	TaskKV:    kvSequence,
	TaskWord:  func(rng *rand.Rand, n, q int, _ bool) Sequence { return wordSequence(rng, n, q) },
	TaskMatch: matchSequence,
	TaskSpan:  spanSequence,
	TaskPage:  pageSequence,
	TaskCopy:  func(rng *rand.Rand, n, q int, _ bool) Sequence { return copySequence(rng, n, q) },
	TaskGlyph: glyphSequence,
}

// copyAlphabets are the copy task's alphabets: each line of a sequence
// draws its words from one of them.
var copyAlphabets = [][]string{
	{"1", "2", "3", "4", "5", "6", "ahead", "left", "right"},
	append(append([]string(nil), synthColours...), synthKinds...),
	{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
}

// copySequence draws n distinct lines of 4-8 words over one alphabet and
// asks up to q questions: a whole line, or a line from one of its words on.
func copySequence(rng *rand.Rand, n, q int) Sequence {
	alpha := copyAlphabets[rng.IntN(len(copyAlphabets))]
	lines := make([][]string, n)
	text := make([]string, n)
	seen := map[string]bool{}
	for i := range lines {
		for {
			w := make([]string, 4+rng.IntN(5))
			for j := range w {
				w[j] = alpha[rng.IntN(len(alpha))]
			}
			if l := strings.Join(w, " "); !seen[l] {
				seen[l], lines[i] = true, w
				break
			}
		}
		text[i] = strconv.Itoa(i+1) + ": " + strings.Join(lines[i], " ")
	}
	s := Sequence{Context: strings.Join(text, "\n"), Source: TaskCopy}
	for _, i := range rng.Perm(n)[:min(n, q)] {
		if a := 1 + rng.IntN(len(lines[i])); rng.IntN(5) < 2 && a > 1 {
			s.QA = append(s.QA, Pair{"Copy line " + strconv.Itoa(i+1) + " from word " + strconv.Itoa(a) + ".", strings.Join(lines[i][a-1:], " ")})
			continue
		}
		s.QA = append(s.QA, Pair{"Copy line " + strconv.Itoa(i+1) + ".", text[i]})
	}
	return s
}

// pick draws k distinct items of list.
func pick(rng *rand.Rand, list []string, k int) []string {
	idx := rng.Perm(len(list))[:k]
	out := make([]string, k)
	for i, j := range idx {
		out[i] = list[j]
	}
	return out
}

// synthValue is a value: a word or a number below 100.
func synthValue(rng *rand.Rand) string {
	if rng.IntN(3) == 0 {
		return strconv.Itoa(rng.IntN(100))
	}
	return synthWords[rng.IntN(len(synthWords))]
}

// kvSequence lists n distinct keys with values and asks for the values of
// up to q of them; with extra it also asks the reverse lookup (the key of a
// value listed once) and the count of keys.
func kvSequence(rng *rand.Rand, n, q int, extra bool) Sequence {
	keys := pick(rng, synthWords, n)
	vals := make([]string, n)
	seen := map[string]int{}
	lines := make([]string, n)
	for i := range keys {
		vals[i] = synthValue(rng)
		seen[vals[i]]++
		lines[i] = "- " + keys[i] + ": " + vals[i]
	}
	// Lines start "- " so a key is the same token in its line and in the
	// question (" shoe"): at the start of a line BPE gives "shoe", a
	// different token, and a small model then has to learn every word's
	// two spellings before it can look anything up.
	s := Sequence{Context: strings.Join(lines, "\n"), Source: TaskKV}
	for _, i := range rng.Perm(n)[:min(n, q)] {
		p := Pair{"What is the value of " + keys[i] + "?", keys[i] + ": " + vals[i]}
		if extra && seen[vals[i]] == 1 && rng.IntN(4) == 0 {
			p = Pair{"Which key has the value " + vals[i] + "?", keys[i]}
		}
		s.QA = append(s.QA, p)
	}
	if extra && len(s.QA) < q && rng.IntN(4) == 0 {
		s.QA = append(s.QA, Pair{"How many keys are listed?", strconv.Itoa(n)})
	}
	return s
}

// wordSequence lists n numbered lines of 3 to 5 words and asks for the
// k-th word of a line, or to repeat a whole line (copying).
func wordSequence(rng *rand.Rand, n, q int) Sequence {
	lines := make([][]string, n)
	text := make([]string, n)
	for i := range lines {
		lines[i] = make([]string, 3+rng.IntN(3))
		for j := range lines[i] {
			lines[i][j] = synthWords[rng.IntN(len(synthWords))]
		}
		text[i] = strconv.Itoa(i+1) + ": " + strings.Join(lines[i], " ")
	}
	s := Sequence{Context: strings.Join(text, "\n"), Source: TaskWord}
	for _, i := range rng.Perm(n)[:min(n, q)] {
		if rng.IntN(5) == 0 {
			s.QA = append(s.QA, Pair{"Repeat line " + strconv.Itoa(i+1) + ".", strings.Join(lines[i], " ")})
			continue
		}
		k := rng.IntN(len(lines[i]))
		s.QA = append(s.QA, Pair{"What is word " + strconv.Itoa(k+1) + " of line " + strconv.Itoa(i+1) + "?", lines[i][k]})
	}
	return s
}

// entry is one item of the match task's list.
type entry struct {
	name, colour, kind string
	pos                int
}

func (e entry) object() string { return e.colour + " " + e.kind }

// matchEntries draws n entries with distinct names and positions. The
// first entry's object (colour and kind) is unique in the list, so at
// least one entry can be asked for by its object.
func matchEntries(rng *rand.Rand, n int) []entry {
	names := pick(rng, synthWords, n)
	pos := rng.Perm(synthPositions)[:n]
	es := make([]entry, n)
	for i := range es {
		es[i] = entry{name: names[i], pos: pos[i] + 1}
		for {
			es[i].colour = synthColours[rng.IntN(len(synthColours))]
			es[i].kind = synthKinds[rng.IntN(len(synthKinds))]
			if i == 0 || es[i].object() != es[0].object() {
				break
			}
		}
	}
	// The target goes anywhere in the list, not always first.
	rng.Shuffle(n, func(i, j int) { es[i], es[j] = es[j], es[i] })
	return es
}

// entriesText lists the entries one per line, each after "- " (as the
// key-value lines, so a name is one token wherever it appears).
func entriesText(es []entry) string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = "- " + e.name + ": " + e.object() + " at " + strconv.Itoa(e.pos)
	}
	return strings.Join(lines, "\n")
}

// matchSequence lists n entries and asks where an entry is by its object
// (when that is unique), answered by quoting the entry ("green key at
// 12"). With extra it also asks what an entry is (quoting it from its
// name), and the reverse lookups, answered with a name or an object: which
// entry is an object or at a position, and what is at a position.
func matchSequence(rng *rand.Rand, n, q int, extra bool) Sequence {
	es := matchEntries(rng, n)
	count := map[string]int{}
	for _, e := range es {
		count[e.object()]++
	}
	s := Sequence{Context: entriesText(es), Source: TaskMatch}
	where := func(e entry) Pair {
		return Pair{"Where is the " + e.object() + "?", e.object() + " at " + strconv.Itoa(e.pos)}
	}
	if !extra {
		// One question, about an entry whose object is unique.
		for _, i := range rng.Perm(n) {
			if count[es[i].object()] == 1 && len(s.QA) < q {
				s.QA = append(s.QA, where(es[i]))
			}
		}
		return s
	}
	for _, i := range rng.Perm(n)[:min(n, q)] {
		e := es[i]
		unique := count[e.object()] == 1
		at := strconv.Itoa(e.pos)
		switch r := rng.IntN(10); {
		case r < 4 && unique:
			s.QA = append(s.QA, where(e))
		case r < 6:
			s.QA = append(s.QA, Pair{"What is " + e.name + "?", e.name + ": " + e.object() + " at " + at})
		case r < 7:
			s.QA = append(s.QA, Pair{"What is at " + at + "?", e.object()})
		case r < 9 && unique:
			s.QA = append(s.QA, Pair{"Which entry is the " + e.object() + "?", e.name})
		default:
			s.QA = append(s.QA, Pair{"Which entry is at " + at + "?", e.name})
		}
	}
	return s
}

// SyntheticText is sample text of every synthetic task and of the format
// questions, for training a tokenizer that gives the synthetic words few
// tokens (add it to the corpus text before TrainTokenizer).
func SyntheticText(seed uint64, n int) []string {
	rng := rand.New(rand.NewPCG(seed, 0x7e47))
	var out []string
	for i := 0; i < n; i++ {
		var s Sequence
		switch n := 1 + rng.IntN(17); i % 3 {
		case 0:
			s = kvSequence(rng, n, 4, true)
		case 1:
			s = wordSequence(rng, n, 4)
		default:
			s = matchSequence(rng, n, 4, true)
		}
		out = append(out, s.Context)
		for _, p := range s.QA {
			f := formatPair(rng, p)
			out = append(out, FormatQuestion(p.Question)+" "+p.Answer, FormatQuestion(f.Question)+" "+f.Answer)
		}
	}
	return out
}

// Scene bounds of the span task: positions up to spanAhead cells ahead and
// spanSide to either side (BabyAI's 7x7 view), never the agent's own cell.
const (
	spanAhead = 6
	spanSide  = 3
)

// spanEntry is one object of a span scene.
type spanEntry struct {
	colour, kind string
	ahead, side  int // side < 0 is left
}

func (e spanEntry) object() string { return e.colour + " " + e.kind }

// where words the position as BabyAI's observation does: "2 ahead 1
// left", "3 ahead", "1 right".
func (e spanEntry) where() string {
	var parts []string
	if e.ahead > 0 {
		parts = append(parts, strconv.Itoa(e.ahead)+" ahead")
	}
	switch {
	case e.side < 0:
		parts = append(parts, strconv.Itoa(-e.side)+" left")
	case e.side > 0:
		parts = append(parts, strconv.Itoa(e.side)+" right")
	}
	return strings.Join(parts, " ")
}

// turn is the way to turn to face the entry (as BabyAI's facts say it).
func (e spanEntry) turn() string {
	switch {
	case e.side < 0:
		return "left"
	case e.side > 0:
		return "right"
	}
	return "none"
}

// spanSequence draws a scene of n objects at distinct positions (objects
// may repeat, as in BabyAI) and asks up to q questions: where an object
// listed once is (quoting its entry), what is at a position, and the way
// to turn to face an object. Half the scenes come under a goal naming a
// unique object, asked of as "the object the goal names", the lookup a
// policy makes. Without extra it asks one where-is question (the probe's).
func spanSequence(rng *rand.Rand, n, q int, extra bool) Sequence {
	n = min(n, (spanAhead+1)*(2*spanSide+1)-1)
	cells := rng.Perm((spanAhead + 1) * (2*spanSide + 1))
	es := make([]spanEntry, 0, n)
	for _, c := range cells {
		if len(es) == n {
			break
		}
		e := spanEntry{ahead: c / (2*spanSide + 1), side: c%(2*spanSide+1) - spanSide}
		if e.ahead == 0 && e.side == 0 {
			continue
		}
		e.colour = synthColours[rng.IntN(len(synthColours))]
		e.kind = synthKinds[rng.IntN(len(synthKinds))]
		es = append(es, e)
	}
	count := map[string]int{}
	for _, e := range es {
		count[e.object()]++
	}
	if count[es[0].object()] > 1 {
		// Make the first object unique by giving it a colour no other
		// entry of its kind has, if there is one.
		for _, c := range synthColours {
			o := c + " " + es[0].kind
			if count[o] == 0 {
				count[es[0].object()]--
				es[0].colour = c
				count[o] = 1
				break
			}
		}
	}
	// BabyAI lists nearest first; a shuffled order keeps the target from
	// sitting at a fixed place.
	rng.Shuffle(len(es), func(i, j int) { es[i], es[j] = es[j], es[i] })
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.object() + " " + e.where()
	}
	text := "You see: " + strings.Join(parts, "; ") + "."
	var unique []spanEntry
	for _, e := range es {
		if count[e.object()] == 1 {
			unique = append(unique, e)
		}
	}
	s := Sequence{Source: TaskSpan}
	where := func(e spanEntry) Pair { return Pair{"Where is the " + e.object() + "?", e.object() + " " + e.where()} }
	if !extra {
		s.Context = text
		if len(unique) == 0 {
			// Only a scene of many objects can list none once.
			s.QA = []Pair{{"What is at " + es[0].where() + "?", es[0].object()}}
			return s
		}
		s.QA = []Pair{where(unique[rng.IntN(len(unique))])}
		return s
	}
	// A scene with no object listed once (possible only near
	// MaxDistractors) gets no goal; the coin is drawn all the same, so
	// every other scene draws as before.
	if goal := rng.IntN(2) == 0; goal && len(unique) > 0 {
		g := unique[rng.IntN(len(unique))]
		text = "Goal: go to " + []string{"a", "the"}[rng.IntN(2)] + " " + g.object() + "\n" + text
		s.QA = append(s.QA, Pair{"Where is the object the goal names?", g.object() + " " + g.where()})
		if rng.IntN(2) == 0 {
			s.QA = append(s.QA, Pair{"Which way should you turn to face the object the goal names?", g.turn()})
		}
	}
	s.Context = text
	if rng.IntN(3) == 0 && len(s.QA) < q {
		s.QA = append(s.QA, spanFront(rng, es))
	}
	for _, i := range rng.Perm(len(es)) {
		if len(s.QA) >= q {
			break
		}
		e := es[i]
		switch r := rng.IntN(10); {
		case r < 6 && count[e.object()] == 1:
			s.QA = append(s.QA, where(e))
		case r < 8 && count[e.object()] == 1:
			s.QA = append(s.QA, Pair{"Which way should you turn to face the " + e.object() + "?", e.turn()})
		default:
			s.QA = append(s.QA, Pair{"What is at " + e.where() + "?", e.object()})
		}
	}
	return s
}

// spanFront asks about the cell just ahead, in BabyAI's words: what is
// there, or whether the agent can move forward (no when an object other
// than a door is there; a scene's doors have no state, so that question
// skips them). A GoToLocal policy fine-tuned from base-v5 walked into the
// object ahead of it until the step limit in 37 of its 40 failures: the
// entry "red box 1 ahead" differs from "red box 1 ahead 2 left" only
// after its distance.
func spanFront(rng *rand.Rand, es []spanEntry) Pair {
	var front *spanEntry
	for i := range es {
		if es[i].ahead == 1 && es[i].side == 0 {
			front = &es[i]
		}
	}
	if rng.IntN(2) == 0 || (front != nil && front.kind == "door") {
		if front == nil {
			return Pair{"What is directly in front of you?", "nothing"}
		}
		return Pair{"What is directly in front of you?", front.object()}
	}
	if front != nil {
		return Pair{"Can you move forward?", "no"}
	}
	return Pair{"Can you move forward?", "yes"}
}

// pageTags are the page task's element tags, and pageAsks the instruction
// forms naming an element by its text.
var (
	pageTags = []string{"button", "div", "a", "span", "label"}
	pageAsks = []string{"Click on the %q button.", "Click on the link %q.", "Click on the %q tab.", "Select %q and click Submit.", "Find %q and click it."}
)

// pageSequence lists n elements with distinct ids and texts (one or two
// words) under an instruction that names one by its text, and asks up to
// q questions: which element says a text, which element the instruction
// names, what the instruction says and what its quote says. Without extra
// it asks one "Which element says" question (the probe's).
func pageSequence(rng *rand.Rand, n, q int, extra bool) Sequence {
	ids := rng.Perm(90)[:n]
	words := pick(rng, synthWords, min(len(synthWords), 2*n))
	texts := make([]string, n)
	lines := make([]string, n)
	for i := range n {
		texts[i] = words[i]
		// The probe's lists stay one word a text, so 16 distractors fit
		// the small preset's text length.
		if extra && rng.IntN(3) == 0 && n+i < len(words) {
			texts[i] += " " + words[n+i]
		}
		// MiniWoB's lines end in the box (x,y,w,h), left out: it would
		// double a list's length and the lookups do not read it.
		lines[i] = fmt.Sprintf("#%d %s %q", ids[i]+2, pageTags[rng.IntN(len(pageTags))], texts[i])
	}
	target := rng.IntN(n)
	instr := fmt.Sprintf(pageAsks[rng.IntN(len(pageAsks))], texts[target])
	elems := "Elements:\n" + strings.Join(lines, "\n")
	s := Sequence{Context: "Instruction: " + instr + "\n" + elems, Source: TaskPage}
	ref := func(i int) string { return "#" + strconv.Itoa(ids[i]+2) }
	says := func(i int) Pair { return Pair{fmt.Sprintf("Which element says %q?", texts[i]), ref(i)} }
	if !extra {
		// Without the instruction, which the question does not need.
		s.Context = elems
		s.QA = []Pair{says(rng.IntN(n))}
		return s
	}
	s.QA = append(s.QA, Pair{"Which element does the instruction name?", ref(target)})
	switch rng.IntN(3) {
	case 0:
		s.QA = append(s.QA, Pair{"What does the instruction say?", instr})
	case 1:
		s.QA = append(s.QA, Pair{"What does quote 1 of the instruction say?", texts[target]})
	}
	for _, i := range rng.Perm(n) {
		if len(s.QA) >= q {
			break
		}
		if rng.IntN(4) == 0 {
			s.QA = append(s.QA, Pair{"What does " + ref(i) + " say?", texts[i]})
			continue
		}
		s.QA = append(s.QA, says(i))
	}
	return s
}
