package cards

import "sync"

// Blackjack basic strategy for this rule set (infinite deck, dealer stands
// on all 17s, no naturals bonus, only hit/stand), derived by dynamic
// programming over the rules instead of a table.

// cardP is the probability of drawing a card of value v (1..10).
func cardP(v int) float64 {
	if v == 10 {
		return 4.0 / 13
	}
	return 1.0 / 13
}

// dealer final totals 17..21 map to 0..4, bust to 5.
const dealerBust = 5

type bjStrategy struct {
	dealer [11][6]float64     // [up card value] final distribution
	hit    [22][2][11]bool    // [hard total][has ace][up]: hitting is strictly better
	ev     [22][2][11]float64 // optimal expected reward
	win    [22][2][11]float64 // win probability following the policy
	// WinRate and EV are the whole-hand values from the deal, averaged
	// over the player's two cards and the dealer's up card.
	WinRate, EV float64
}

var (
	stratOnce sync.Once
	strat     *bjStrategy
)

func blackjackStrategy() *bjStrategy {
	stratOnce.Do(func() { strat = newBJStrategy() })
	return strat
}

func bestTotal(hard int, ace bool) int {
	if ace && hard+10 <= 21 {
		return hard + 10
	}
	return hard
}

func newBJStrategy() *bjStrategy {
	s := &bjStrategy{}
	// Dealer: memoised over (hard total, has ace).
	var memo [32][2]*[6]float64
	var dealerFrom func(hard int, ace bool) [6]float64
	dealerFrom = func(hard int, ace bool) [6]float64 {
		var d [6]float64
		if hard > 21 {
			d[dealerBust] = 1
			return d
		}
		a := 0
		if ace {
			a = 1
		}
		if m := memo[hard][a]; m != nil {
			return *m
		}
		if t := bestTotal(hard, ace); t >= dealerStands {
			d[t-17] = 1
		} else {
			for c := 1; c <= 10; c++ {
				sub := dealerFrom(hard+c, ace || c == 1)
				for i := range d {
					d[i] += cardP(c) * sub[i]
				}
			}
		}
		memo[hard][a] = &d
		return d
	}
	for up := 1; up <= 10; up++ {
		for c := 1; c <= 10; c++ {
			sub := dealerFrom(up+c, up == 1 || c == 1)
			for i := range sub {
				s.dealer[up][i] += cardP(c) * sub[i]
			}
		}
	}
	// Player: hard totals only grow, so fill from 21 down.
	for up := 1; up <= 10; up++ {
		for hard := 21; hard >= 2; hard-- {
			for a := 0; a < 2; a++ {
				ace := a == 1
				t := bestTotal(hard, ace)
				d := s.dealer[up]
				standEV, standWin := d[dealerBust], d[dealerBust]
				for f := 17; f <= 21; f++ {
					switch {
					case f < t:
						standEV += d[f-17]
						standWin += d[f-17]
					case f > t:
						standEV -= d[f-17]
					}
				}
				hitEV, hitWin := 0.0, 0.0
				for c := 1; c <= 10; c++ {
					nh := hard + c
					if nh > 21 {
						hitEV -= cardP(c)
						continue
					}
					na := 0
					if ace || c == 1 {
						na = 1
					}
					hitEV += cardP(c) * s.ev[nh][na][up]
					hitWin += cardP(c) * s.win[nh][na][up]
				}
				if hitEV > standEV+1e-12 {
					s.hit[hard][a][up], s.ev[hard][a][up], s.win[hard][a][up] = true, hitEV, hitWin
				} else {
					s.ev[hard][a][up], s.win[hard][a][up] = standEV, standWin
				}
			}
		}
	}
	for up := 1; up <= 10; up++ {
		for c1 := 1; c1 <= 10; c1++ {
			for c2 := 1; c2 <= 10; c2++ {
				p := cardP(up) * cardP(c1) * cardP(c2)
				a := 0
				if c1 == 1 || c2 == 1 {
					a = 1
				}
				s.WinRate += p * s.win[c1+c2][a][up]
				s.EV += p * s.ev[c1+c2][a][up]
			}
		}
	}
	return s
}

// shouldHit is the optimal choice for a player hand against the up card.
func (s *bjStrategy) shouldHit(hand []card, up card) bool {
	hard, ace := 0, false
	for _, c := range hand {
		hard += c.value()
		ace = ace || c.rank == 1
	}
	if hard > 21 {
		return false
	}
	a := 0
	if ace {
		a = 1
	}
	return s.hit[hard][a][up.value()]
}
