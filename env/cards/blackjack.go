package cards

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"strconv"
	"strings"

	"vlmq/env"
	"vlmq/render"
)

// Blackjack with an infinite deck: ranks are drawn uniformly (so a value of
// 10 has probability 4/13), the dealer stands on any 17 (soft included),
// naturals pay like any other win, and a bust loses at once.
type blackjack struct {
	rng            *rand.Rand
	player, dealer []card // dealer[0] is the up card, dealer[1] is face down
	over           bool   // the hand is settled (the dealer's cards are shown)
	result         string
	imageOnly      bool // ObsImage: no text, and no totals painted (as RL4VLM)

	fresh     bool // the next draw must repaint everything
	drawnOver bool // value of over at the last draw
}

const dealerStands = 17

var bjActions = []string{"stand", "hit"}

func (g *blackjack) reset(rng *rand.Rand) {
	g.rng = rng
	g.player = append(g.player[:0], randomCard(rng), randomCard(rng))
	g.dealer = append(g.dealer[:0], randomCard(rng), randomCard(rng))
	g.over, g.result = false, ""
	g.fresh = true
}

func (g *blackjack) legal() []string { return bjActions }

// handTotal returns the best total of a hand and whether an ace counts 11.
func handTotal(h []card) (total int, soft bool) {
	ace := false
	for _, c := range h {
		total += c.value()
		ace = ace || c.rank == 1
	}
	if ace && total+10 <= 21 {
		return total + 10, true
	}
	return total, false
}

func (g *blackjack) apply(choice string) outcome {
	if choice == "hit" {
		g.player = append(g.player, randomCard(g.rng))
		if t, _ := handTotal(g.player); t > 21 {
			g.over, g.result = true, "Bust"
			return outcome{reward: -1, done: true, note: "player busts"}
		}
		return outcome{}
	}
	for {
		if t, _ := handTotal(g.dealer); t >= dealerStands {
			break
		}
		g.dealer = append(g.dealer, randomCard(g.rng))
	}
	g.over = true
	p, _ := handTotal(g.player)
	d, _ := handTotal(g.dealer)
	switch {
	case d > 21:
		g.result = "Dealer busts, you win"
		return outcome{reward: 1, done: true, note: "dealer busts"}
	case p > d:
		g.result = "You win"
		return outcome{reward: 1, done: true, note: fmt.Sprintf("%d beats %d", p, d)}
	case p == d:
		g.result = "Draw"
		return outcome{reward: 0, done: true, note: fmt.Sprintf("draw at %d", p)}
	}
	g.result = "You lose"
	return outcome{reward: -1, done: true, note: fmt.Sprintf("%d loses to %d", p, d)}
}

func labelsOf(h []card) []string {
	out := make([]string, len(h))
	for i, c := range h {
		out[i] = c.label()
	}
	return out
}

func totalText(h []card) string {
	t, soft := handTotal(h)
	if soft {
		return fmt.Sprintf("%d, soft", t)
	}
	return strconv.Itoa(t)
}

func (g *blackjack) text() string {
	if g.imageOnly {
		return ""
	}
	s := fmt.Sprintf("Dealer shows %s; your cards: %s (total %s)", g.dealer[0].label(),
		strings.Join(labelsOf(g.player), ", "), totalText(g.player))
	if g.over {
		s += fmt.Sprintf("; dealer's cards: %s (total %s); %s", strings.Join(labelsOf(g.dealer), ", "),
			totalText(g.dealer), g.result)
	}
	return s
}

func (g *blackjack) task() env.Task {
	return env.Task{
		Goal: "Win the hand of blackjack: finish closer to 21 than the dealer without going over. " +
			"J, Q and K count 10, A counts 1 or 11. The dealer draws until reaching 17.",
		Actions: `"hit" takes another card; "stand" ends your turn and the dealer plays. ` +
			"Win +1, draw 0, loss or bust -1.",
		Example: "stand",
	}
}

func (g *blackjack) facts() []env.QA {
	t, soft := handTotal(g.player)
	qa := []env.QA{
		qa("What is the dealer's up card?", g.dealer[0].label()),
		qa("What is the value of the dealer's up card?", strconv.Itoa(g.dealer[0].value())),
		qa("What are the player's cards?", joinAnd(labelsOf(g.player))),
		qa("How many cards does the player have?", strconv.Itoa(len(g.player))),
		qa("What is the player's total?", strconv.Itoa(t)),
		qa("Does the player have an ace counted as 11?", yesNo(soft)),
	}
	if g.over {
		d, _ := handTotal(g.dealer)
		qa = append(qa,
			env.QA{Question: "What are the dealer's cards?", Answer: joinAnd(labelsOf(g.dealer))},
			env.QA{Question: "What is the dealer's total?", Answer: strconv.Itoa(d)})
	} else {
		qa = append(qa, env.QA{Question: "How many of the dealer's cards are face down?", Answer: "1"})
	}
	// Every card the image shows face up, by its place from the left.
	for i, c := range g.player {
		qa = append(qa, env.QA{Question: fmt.Sprintf("What is the rank of the player's card %d from the left?", i+1), Answer: c.label()})
	}
	for i, c := range g.dealer {
		if i == 1 && !g.over {
			break
		}
		qa = append(qa, env.QA{Question: fmt.Sprintf("What is the rank of the dealer's card %d from the left?", i+1), Answer: c.label()})
	}
	return qa
}

const (
	bjCardW, bjCardH = 64, 90
	bjDealerY        = 34
	bjPlayerY        = 172
	bjLabelSize      = 18
)

// drawHand lays out a hand left to right, overlapping the cards when there
// are too many to fit the width.
func drawHand(dst *image.RGBA, h []card, y int, hideSecond bool) {
	step := bjCardW + 8
	if n := len(h); n > 1 {
		step = min(step, (Size-20-bjCardW)/(n-1))
	}
	for i, c := range h {
		cardSprite(c, bjCardW, bjCardH, hideSecond && i == 1).Draw(dst, image.Pt(10+i*step, y))
	}
}

// Screen regions: only the player's part changes on a hit.
var (
	bjDealerArea = image.Rect(0, 0, Size, bjPlayerY-36)
	bjPlayerArea = image.Rect(0, bjPlayerY-36, Size, Size-34)
	bjResultArea = image.Rect(0, Size-34, Size, Size)
)

func (g *blackjack) background() color.RGBA { return tableGreen }

func (g *blackjack) draw(dst *image.RGBA) {
	label := func(x, y int, s string) { drawLabel(dst, render.Bold, bjLabelSize, x, y, s, white, tableGreen) }
	if g.fresh || g.over != g.drawnOver {
		render.FillRect(dst, bjDealerArea, tableGreen)
		switch {
		case g.imageOnly:
			// RL4VLM's image names the hands only: the agent must read and
			// add up the cards itself.
			label(10, bjDealerY-10, "Dealer")
		case g.over:
			label(10, bjDealerY-10, "Dealer: "+totalText(g.dealer))
		default:
			label(10, bjDealerY-10, "Dealer shows "+g.dealer[0].label())
		}
		drawHand(dst, g.dealer, bjDealerY, !g.over)
		render.FillRect(dst, bjResultArea, tableGreen)
		if g.over {
			label(10, Size-12, g.result)
		}
	}
	render.FillRect(dst, bjPlayerArea, tableGreen)
	if g.imageOnly {
		label(10, bjPlayerY-10, "Player")
	} else {
		label(10, bjPlayerY-10, "Player: "+totalText(g.player))
	}
	drawHand(dst, g.player, bjPlayerY, false)
	g.fresh, g.drawnOver = false, g.over
}
