package cards

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"vlmq/env"
	"vlmq/render"
)

// formulaRules configures the two arithmetic games.
type formulaRules struct {
	name      string
	nCards    int
	target    int64
	ops       []string // operator tokens besides "="
	maxTokens int      // the step after the formula grows longer than this ends the episode with -1
	deal      func(rng *rand.Rand) []card
	cardW     int
	cardH     int
	cardY     int
	textY     int // baseline of "Formula:"
}

// Rewards of the arithmetic games.
const (
	formulaWin  = 10
	formulaLose = -1
)

var ezPointsRules = &formulaRules{
	name: EZPoints, nCards: 2, target: 12, ops: []string{"+", "*"}, maxTokens: 5,
	deal: dealEZPoints, cardW: 110, cardH: 154, cardY: 25, textY: 210,
}

var points24Rules = &formulaRules{
	name: Points24, nCards: 4, target: 24, ops: []string{"+", "-", "*", "/", "(", ")"}, maxTokens: 20,
	deal: dealPoints24, cardW: 64, cardH: 90, cardY: 40, textY: 175,
}

// dealEZPoints: the first card's rank is uniform over 2..K (J/Q/K = 10); the
// second card makes 12 with it by product (half the time, when the first
// divides 12) or by sum; then the order is swapped half the time. Every
// deal is therefore solvable.
func dealEZPoints(rng *rand.Rand) []card {
	c1 := card{rank: 2 + rng.IntN(12), suit: rng.IntN(4)}
	v1 := c1.value()
	v2 := 12 - v1
	if 12%v1 == 0 && v1 != 12 && rng.IntN(2) == 0 {
		v2 = 12 / v1
	}
	c2 := card{rank: v2, suit: rng.IntN(4)}
	if v2 == 10 {
		c2.rank = 10 + rng.IntN(4) // 10, J, Q or K
	}
	if rng.IntN(2) == 0 {
		return []card{c2, c1}
	}
	return []card{c1, c2}
}

// dealPoints24: four independent uniform ranks, not filtered for
// solvability.
func dealPoints24(rng *rand.Rand) []card {
	cs := make([]card, 4)
	for i := range cs {
		cs[i] = randomCard(rng)
	}
	return cs
}

// formulaGap is the formula token an invalid number leaves: RL4VLM
// appends a space so that invalid numbers still use up the length budget.
// Like the space in RL4VLM's Python string it separates the tokens around
// it (1, gap, 2 is not 12) and is otherwise ignored; it is never drawn.
const formulaGap = " "

// formulaGame: build a formula from the cards, one token per step, that
// evaluates exactly to the target using every card once.
type formulaGame struct {
	r         *formulaRules
	vocab     []string
	cards     []card
	formula   []string // tokens so far, formulaGap for each invalid number
	used      [11]int  // used cards by value
	imageOnly bool     // ObsImage: the cards are only in the image

	base  *image.RGBA // background + cards + "Formula:" for this episode
	fresh bool        // the next draw must copy the whole base
}

func newFormulaGame(r *formulaRules, imageOnly bool) *formulaGame {
	v := make([]string, 0, 10+len(r.ops)+1)
	for i := 1; i <= 10; i++ {
		v = append(v, strconv.Itoa(i))
	}
	v = append(v, r.ops...)
	v = append(v, "=")
	return &formulaGame{r: r, vocab: v, imageOnly: imageOnly, base: image.NewRGBA(image.Rect(0, 0, Size, Size))}
}

func (g *formulaGame) reset(rng *rand.Rand) {
	g.cards = g.r.deal(rng)
	g.formula = g.formula[:0]
	g.used = [11]int{}
	g.paintBase()
}

// legal is the whole action vocabulary: asking for a card that is not on
// the table is a move of the game (reward -1, nothing changes), not a
// syntax error.
func (g *formulaGame) legal() []string { return g.vocab }

func (g *formulaGame) count(v int) int {
	n := 0
	for _, c := range g.cards {
		if c.value() == v {
			n++
		}
	}
	return n
}

// apply follows RL4VLM's step: the length cap is checked before the action
// (so a formula may grow one token past it, and whatever comes next, even
// "=", ends the episode), and an invalid number costs -1 and adds a gap.
func (g *formulaGame) apply(choice string) outcome {
	if len(g.formula) > g.r.maxTokens {
		return outcome{reward: formulaLose, done: true, truncated: true,
			note: fmt.Sprintf("formula longer than %d tokens", g.r.maxTokens)}
	}
	if choice == "=" {
		return g.evaluate()
	}
	if v, err := strconv.Atoi(choice); err == nil {
		if g.used[v] >= g.count(v) {
			g.formula = append(g.formula, formulaGap)
			return outcome{reward: formulaLose, note: fmt.Sprintf("no unused card of value %d", v)}
		}
		g.used[v]++
	}
	g.formula = append(g.formula, choice)
	return outcome{}
}

// finishes reports whether appending rest to the formula makes a winning
// formula before the length cap ends the episode.
func (g *formulaGame) finishes(rest []string) bool {
	full := append(slices.Clone(g.formula), rest...)
	if len(full) > g.r.maxTokens {
		return false
	}
	v, err := evalFormula(full)
	return err == nil && v.IsInt() && v.Num().Cmp(big.NewInt(g.r.target)) == 0
}

// visible returns the formula's tokens without gaps: what the image shows.
func (g *formulaGame) visible() []string {
	if !slices.Contains(g.formula, formulaGap) {
		return g.formula
	}
	out := make([]string, 0, len(g.formula))
	for _, t := range g.formula {
		if t != formulaGap {
			out = append(out, t)
		}
	}
	return out
}

func (g *formulaGame) evaluate() outcome {
	lose := func(note string) outcome { return outcome{reward: formulaLose, done: true, note: note} }
	n := 0
	for _, u := range g.used {
		n += u
	}
	if n != len(g.cards) {
		return lose(fmt.Sprintf("formula uses %d of %d cards", n, len(g.cards)))
	}
	v, err := evalFormula(g.formula)
	if err != nil {
		return lose("formula is not valid: " + err.Error())
	}
	if !v.IsInt() || v.Num().Cmp(big.NewInt(g.r.target)) != 0 {
		return lose(fmt.Sprintf("formula equals %s, not %d", v.RatString(), g.r.target))
	}
	return outcome{reward: formulaWin, done: true, note: "formula is correct"}
}

func (g *formulaGame) labels() []string {
	out := make([]string, len(g.cards))
	for i, c := range g.cards {
		out[i] = c.label()
	}
	return out
}

// text spells the formula as the string that is evaluated, gaps as spaces.
// In ObsImage mode it omits the cards, which only the image shows.
func (g *formulaGame) text() string {
	f := strings.Join(g.formula, "")
	if len(g.formula) == 0 {
		f = "(empty)"
	}
	if g.imageOnly {
		return "Formula: " + f
	}
	return fmt.Sprintf("Cards: %s; Formula: %s", strings.Join(g.labels(), ", "), f)
}

func (g *formulaGame) task() env.Task {
	// The example is a card value except in ObsImage mode, where it would
	// reveal the first card; unary "+" is legal in both games.
	example := strconv.Itoa(g.cards[0].value())
	if g.imageOnly {
		example = "+"
	}
	return env.Task{
		Goal: fmt.Sprintf("Write a formula that equals %d using each of the %d cards in the image exactly once. "+
			"J, Q and K count as 10 and A as 1.", g.r.target, len(g.cards)),
		Actions: fmt.Sprintf("Add one token per step: a card number 1-10 (each card once), or one of %s; "+
			"\"=\" finishes and checks the formula (+%d if it equals %d with every card used, else -1). "+
			"Adjacent numbers join into one number (1 then 2 makes 12). A number that is not an unused card costs -1 "+
			"and still takes a place in the formula; once the formula is longer than %d tokens, the next step ends the episode with -1.",
			strings.Join(g.r.ops, " "), formulaWin, g.r.target, g.r.maxTokens),
		Example: example,
	}
}

func (g *formulaGame) facts() []env.QA {
	vals := make([]string, len(g.cards))
	for i, c := range g.cards {
		vals[i] = strconv.Itoa(c.value())
	}
	var unused []string
	left := g.used
	for _, c := range g.cards {
		if left[c.value()] > 0 {
			left[c.value()]--
			continue
		}
		unused = append(unused, strconv.Itoa(c.value()))
	}
	f := strings.Join(g.visible(), " ")
	if f == "" {
		f = "empty"
	}
	facts := []env.QA{
		qa("What cards are shown?", joinAnd(g.labels())),
		qa("How many cards are shown?", strconv.Itoa(len(g.cards))),
		qa("What are the values of the cards, counting J, Q and K as 10?", joinAnd(vals)),
		qa("What suit is the first card?", suitNames[g.cards[0].suit]),
		qa("What suit is the last card?", suitNames[g.cards[len(g.cards)-1].suit]),
		qa("What is the formula so far?", f),
		qa("Which card values are not used in the formula yet?", joinAnd(unused)),
	}
	// Each card by its place from the left, and each number a step may
	// add: whether a card of that value is still unused (every value 1-10,
	// so "no" is asked as often as the deal makes it true).
	for i, c := range g.cards {
		facts = append(facts, qa(fmt.Sprintf("What is the rank of card %d from the left?", i+1), c.label()))
	}
	for v := 1; v <= 10; v++ {
		facts = append(facts, qa(fmt.Sprintf("Is %d among the unused card values?", v), yesNo(slices.Contains(unused, strconv.Itoa(v)))))
	}
	return facts
}

const (
	formulaFontSize = 20
	formulaLeft     = 10
	formulaLineGap  = 28
)

func (g *formulaGame) paintBase() {
	render.FillRect(g.base, g.base.Rect, tableGreen)
	n := len(g.cards)
	gap := (Size - 20 - n*g.r.cardW) / max(1, n-1)
	for i, c := range g.cards {
		x := 10 + i*(g.r.cardW+gap)
		cardSprite(c, g.r.cardW, g.r.cardH, false).Draw(g.base, image.Pt(x, g.r.cardY))
	}
	drawText(g.base, render.Regular, formulaFontSize, formulaLeft, g.r.textY, "Formula:", white)
	g.fresh = true
}

func (g *formulaGame) background() color.RGBA { return tableGreen }

// textArea is the part of the frame that changes within an episode.
func (g *formulaGame) textArea() image.Rectangle {
	return image.Rect(0, g.r.textY+8, Size, Size)
}

func (g *formulaGame) draw(dst *image.RGBA) {
	if g.fresh {
		copy(dst.Pix, g.base.Pix)
		g.fresh = false
	} else {
		render.CopyRect(dst, g.base, g.textArea())
	}
	f := face(render.Regular, formulaFontSize)
	vis := g.visible()
	if f == nil || len(vis) == 0 {
		return
	}
	// Tokens are shown separated by spaces, as in the original game.
	for i, line := range f.Wrap(vis, " ", Size-2*formulaLeft) {
		f.Draw(dst, formulaLeft, g.r.textY+(i+1)*formulaLineGap, line, white)
	}
}

// Formula evaluation: tokens are joined like the original game's string
// (so adjacent numbers concatenate) and parsed with Python's arithmetic
// grammar restricted to + - * / ( ) and unary + -, evaluated exactly.

var (
	errTrailing = errors.New("unexpected token after the end")
	errEnd      = errors.New("formula ends early")
	errDivZero  = errors.New("division by zero")
)

// lexFormula merges adjacent digit tokens into numbers; a gap keeps the
// numbers on either side apart and is dropped, like a space in Python.
func lexFormula(tokens []string) ([]string, error) {
	var out []string
	apart := false // a gap came after the last token
	for _, t := range tokens {
		if t == "" {
			return nil, errors.New("empty token")
		}
		if t == formulaGap {
			apart = true
			continue
		}
		joins := !apart
		apart = false
		isNum := t[0] >= '0' && t[0] <= '9'
		if isNum {
			if _, err := strconv.Atoi(t); err != nil {
				return nil, fmt.Errorf("bad number %q", t)
			}
			if n := len(out); joins && n > 0 && out[n-1][0] >= '0' && out[n-1][0] <= '9' {
				out[n-1] += t
				continue
			}
		} else if !strings.Contains("+-*/()", t) || len(t) != 1 {
			return nil, fmt.Errorf("unknown token %q", t)
		}
		out = append(out, t)
	}
	return out, nil
}

type ratParser struct {
	toks []string
	i    int
}

func (p *ratParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

// evalFormula evaluates a token sequence exactly.
func evalFormula(tokens []string) (*big.Rat, error) {
	lx, err := lexFormula(tokens)
	if err != nil {
		return nil, err
	}
	if len(lx) == 0 {
		return nil, errors.New("empty formula")
	}
	p := &ratParser{toks: lx}
	v, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if p.i != len(p.toks) {
		return nil, errTrailing
	}
	return v, nil
}

// Nesting is bounded by the token limit in play; the cap guards direct
// callers against stack exhaustion.
const maxNesting = 200

func (p *ratParser) expr(depth int) (*big.Rat, error) {
	if depth > maxNesting {
		return nil, errors.New("formula nested too deeply")
	}
	v, err := p.term(depth)
	if err != nil {
		return nil, err
	}
	for {
		op := p.peek()
		if op != "+" && op != "-" {
			return v, nil
		}
		p.i++
		w, err := p.term(depth)
		if err != nil {
			return nil, err
		}
		if op == "+" {
			v.Add(v, w)
		} else {
			v.Sub(v, w)
		}
	}
}

func (p *ratParser) term(depth int) (*big.Rat, error) {
	v, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for {
		op := p.peek()
		if op != "*" && op != "/" {
			return v, nil
		}
		p.i++
		w, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		if op == "*" {
			v.Mul(v, w)
		} else {
			if w.Sign() == 0 {
				return nil, errDivZero
			}
			v.Quo(v, w)
		}
	}
}

func (p *ratParser) unary(depth int) (*big.Rat, error) {
	switch p.peek() {
	case "+", "-":
		op := p.peek()
		p.i++
		if depth > maxNesting {
			return nil, errors.New("formula nested too deeply")
		}
		v, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		if op == "-" {
			v.Neg(v)
		}
		return v, nil
	}
	return p.primary(depth)
}

func (p *ratParser) primary(depth int) (*big.Rat, error) {
	t := p.peek()
	switch {
	case t == "":
		return nil, errEnd
	case t == "(":
		p.i++
		v, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, errors.New("missing \")\"")
		}
		p.i++
		return v, nil
	case t[0] >= '0' && t[0] <= '9':
		p.i++
		v, ok := new(big.Rat).SetString(t)
		if !ok {
			return nil, fmt.Errorf("bad number %q", t)
		}
		return v, nil
	}
	return nil, fmt.Errorf("unexpected %q", t)
}
