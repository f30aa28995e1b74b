package dataset

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
)

// ReplayConfig sizes a Replay. Zero limits mean unbounded.
type ReplayConfig struct {
	// MaxEpisodes and MaxTurns bound the buffer; when either is exceeded
	// the oldest episodes are evicted first (FIFO). The newest episode is
	// always kept, even if it alone exceeds MaxTurns.
	MaxEpisodes int
	MaxTurns    int
	// Seed seeds the sampling rng: same seed and contents, same batches.
	Seed uint64
}

// Replay is an in-memory episode buffer for online RL, optionally backed
// by a Store that receives every added round. Not safe for concurrent use.
type Replay struct {
	store *Store
	cfg   ReplayConfig
	rng   *rand.Rand
	eps   []*Episode
	cum   []int // cum[i] = turns in eps[:i+1]; rebuilt lazily
	turns int
	dirty bool
}

// TurnRef points at one turn of a buffered episode.
type TurnRef struct {
	Episode *Episode
	Index   int
}

// Turn is the referenced turn.
func (r TurnRef) Turn() *Turn { return &r.Episode.Turns[r.Index] }

// Next is the following turn of the same episode, if any (the bootstrap
// target of the token MDP).
func (r TurnRef) Next() (*Turn, bool) {
	if r.Index+1 >= len(r.Episode.Turns) {
		return nil, false
	}
	return &r.Episode.Turns[r.Index+1], true
}

// NewReplay makes an empty buffer; store may be nil for a memory-only one.
func NewReplay(store *Store, cfg ReplayConfig) (*Replay, error) {
	if cfg.MaxEpisodes < 0 || cfg.MaxTurns < 0 {
		return nil, fmt.Errorf("dataset: replay capacity must be >= 0 (got %d episodes, %d turns)", cfg.MaxEpisodes, cfg.MaxTurns)
	}
	return &Replay{store: store, cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}, nil
}

// Load adds every episode of the backing store (oldest first, so capacity
// keeps the newest) without writing them back.
func (r *Replay) Load() error {
	if r.store == nil {
		return errors.New("dataset: Replay.Load: no store")
	}
	return r.store.Each(func(e Episode) error {
		r.push(e)
		return nil
	})
}

// Add persists eps to the backing store as one shard (if there is one)
// and then buffers them; on a store error nothing is buffered.
func (r *Replay) Add(eps []Episode) error {
	for _, e := range eps {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("dataset: Replay.Add: %w", err)
		}
	}
	if r.store != nil {
		if err := r.store.Append(eps); err != nil {
			return err
		}
	}
	for _, e := range eps {
		r.push(e)
	}
	return nil
}

func (r *Replay) push(e Episode) {
	ep := e
	r.eps = append(r.eps, &ep)
	r.turns += len(e.Turns)
	r.dirty = true
	evict := 0
	turns := r.turns
	for evict < len(r.eps)-1 {
		overEps := r.cfg.MaxEpisodes > 0 && len(r.eps)-evict > r.cfg.MaxEpisodes
		overTurns := r.cfg.MaxTurns > 0 && turns > r.cfg.MaxTurns
		if !overEps && !overTurns {
			break
		}
		turns -= len(r.eps[evict].Turns)
		evict++
	}
	if evict > 0 {
		clear(r.eps[:evict]) // let evicted episodes be collected
		r.eps = r.eps[evict:]
		r.turns = turns
	}
}

// Len is the number of buffered episodes.
func (r *Replay) Len() int { return len(r.eps) }

// NumTurns is the number of buffered turns.
func (r *Replay) NumTurns() int { return r.turns }

// Episodes lists the buffered episodes, oldest first.
func (r *Replay) Episodes() []*Episode { return append([]*Episode(nil), r.eps...) }

// Sample draws n turns uniformly over all buffered turns, with
// replacement.
func (r *Replay) Sample(n int) ([]TurnRef, error) {
	if n <= 0 {
		return nil, fmt.Errorf("dataset: Replay.Sample: batch size %d must be positive", n)
	}
	if r.turns == 0 {
		return nil, errors.New("dataset: Replay.Sample: buffer is empty")
	}
	if r.dirty {
		r.cum = r.cum[:0]
		c := 0
		for _, e := range r.eps {
			c += len(e.Turns)
			r.cum = append(r.cum, c)
		}
		r.dirty = false
	}
	out := make([]TurnRef, n)
	for i := range out {
		k := r.rng.IntN(r.turns)
		j := sort.SearchInts(r.cum, k+1) // first episode whose prefix covers k
		start := 0
		if j > 0 {
			start = r.cum[j-1]
		}
		out[i] = TurnRef{Episode: r.eps[j], Index: k - start}
	}
	return out, nil
}
