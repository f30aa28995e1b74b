package dataset

import (
	"reflect"
	"testing"
)

func ids(eps []*Episode) []int64 {
	var out []int64
	for _, e := range eps {
		out = append(out, e.ID)
	}
	return out
}

func refs(rs []TurnRef) [][2]int64 {
	out := make([][2]int64, len(rs))
	for i, r := range rs {
		out[i] = [2]int64{r.Episode.ID, int64(r.Index)}
	}
	return out
}

func TestReplaySamplingDeterministic(t *testing.T) {
	eps := collectLine(t, 0, 20, "expert")
	draw := func(seed uint64) [][2]int64 {
		r, err := NewReplay(nil, ReplayConfig{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Add(eps); err != nil {
			t.Fatal(err)
		}
		a, err := r.Sample(64)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := r.Sample(64)
		return append(refs(a), refs(b)...)
	}
	if !reflect.DeepEqual(draw(1), draw(1)) {
		t.Fatal("same seed gave different batches")
	}
	if reflect.DeepEqual(draw(1), draw(2)) {
		t.Fatal("different seeds gave the same batches")
	}
}

func TestReplaySamplingUniformOverTurns(t *testing.T) {
	// Episodes of 1, 2, ..., 6 turns: each turn (not each episode) must be
	// equally likely.
	var eps []Episode
	for i := range 6 {
		e := Episode{ID: int64(i), Env: "x"}
		for j := 0; j <= i; j++ {
			e.Turns = append(e.Turns, Turn{Episode: int64(i), Turn: j, Env: "x"})
		}
		eps = append(eps, e)
	}
	r, _ := NewReplay(nil, ReplayConfig{Seed: 9})
	if err := r.Add(eps); err != nil {
		t.Fatal(err)
	}
	const n = 42000
	batch, err := r.Sample(n)
	if err != nil {
		t.Fatal(err)
	}
	count := map[[2]int64]int{}
	for _, ref := range batch {
		if ref.Turn().Turn != ref.Index || ref.Turn().Episode != ref.Episode.ID {
			t.Fatalf("ref %v points at turn %+v", ref, ref.Turn())
		}
		count[[2]int64{ref.Episode.ID, int64(ref.Index)}]++
	}
	cells := r.NumTurns()
	if cells != 21 || len(count) != cells {
		t.Fatalf("%d turns buffered, %d distinct sampled", cells, len(count))
	}
	// Chi-square with 20 degrees of freedom: P(X > 45.3) = 0.001.
	exp := float64(n) / float64(cells)
	chi := 0.0
	for _, c := range count {
		chi += (float64(c) - exp) * (float64(c) - exp) / exp
	}
	if chi > 45.3 {
		t.Fatalf("chi-square %.1f over 21 turns: not uniform", chi)
	}
}

func TestReplayEviction(t *testing.T) {
	eps := collectLine(t, 0, 6, "expert")
	cases := []struct {
		name string
		cfg  ReplayConfig
		want []int64
	}{
		{"unbounded", ReplayConfig{}, []int64{0, 1, 2, 3, 4, 5}},
		{"3 episodes", ReplayConfig{MaxEpisodes: 3}, []int64{3, 4, 5}},
		{"1 episode", ReplayConfig{MaxEpisodes: 1}, []int64{5}},
		{"turns", ReplayConfig{MaxTurns: len(eps[5].Turns) + len(eps[4].Turns)}, []int64{4, 5}},
		{"turns below newest", ReplayConfig{MaxTurns: 1}, []int64{5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := NewReplay(nil, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			// Two rounds, so eviction also crosses round boundaries.
			if err := r.Add(eps[:4]); err != nil {
				t.Fatal(err)
			}
			if err := r.Add(eps[4:]); err != nil {
				t.Fatal(err)
			}
			if got := ids(r.Episodes()); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("buffer holds %v, want %v", got, c.want)
			}
			turns := 0
			for _, e := range r.Episodes() {
				turns += len(e.Turns)
			}
			if r.NumTurns() != turns || r.Len() != len(c.want) {
				t.Fatalf("NumTurns %d Len %d, want %d %d", r.NumTurns(), r.Len(), turns, len(c.want))
			}
			batch, err := r.Sample(200)
			if err != nil {
				t.Fatal(err)
			}
			for _, ref := range batch {
				if ref.Episode.ID < c.want[0] {
					t.Fatalf("sampled evicted episode %d", ref.Episode.ID)
				}
			}
		})
	}
}

func TestReplayPersistsAndLoads(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir)
	r, _ := NewReplay(s, ReplayConfig{MaxEpisodes: 4, Seed: 1})
	round1 := collectLine(t, 0, 3, "policy-round-1")
	round2 := collectLine(t, 3, 3, "policy-round-2")
	if err := r.Add(round1); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(round2); err != nil {
		t.Fatal(err)
	}
	// A round that the store rejects is not buffered either.
	if err := r.Add(round2); err == nil {
		t.Fatal("duplicate round accepted")
	}
	if r.Len() != 4 {
		t.Fatalf("Len %d, want 4", r.Len())
	}
	s2, _ := OpenReadOnly(dir) // s, still in use by r, holds the lock
	if s2.Len() != 6 || len(s2.Shards()) != 2 {
		t.Fatalf("store holds %d episodes in %d shards, want 6 in 2", s2.Len(), len(s2.Shards()))
	}
	r2, _ := NewReplay(s2, ReplayConfig{MaxEpisodes: 4, Seed: 1})
	if err := r2.Load(); err != nil {
		t.Fatal(err)
	}
	if got := ids(r2.Episodes()); !reflect.DeepEqual(got, []int64{2, 3, 4, 5}) {
		t.Fatalf("loaded %v, want the newest 4", got)
	}
	a, _ := r.Sample(32)
	b, _ := r2.Sample(32)
	if !reflect.DeepEqual(refs(a), refs(b)) {
		t.Fatal("reloaded buffer samples differently with the same seed")
	}
}

func TestReplayNextTurn(t *testing.T) {
	eps := collectLine(t, 0, 5, "expert")
	r, _ := NewReplay(nil, ReplayConfig{Seed: 3})
	r.Add(eps)
	batch, _ := r.Sample(100)
	for _, ref := range batch {
		next, ok := ref.Next()
		last := ref.Index == len(ref.Episode.Turns)-1
		if ok == last {
			t.Fatalf("Next ok=%v at turn %d of %d", ok, ref.Index, len(ref.Episode.Turns))
		}
		if ok && next.Turn != ref.Index+1 {
			t.Fatalf("Next is turn %d after %d", next.Turn, ref.Index)
		}
	}
}

func TestReplayErrors(t *testing.T) {
	if _, err := NewReplay(nil, ReplayConfig{MaxTurns: -1}); err == nil {
		t.Fatal("negative capacity accepted")
	}
	r, _ := NewReplay(nil, ReplayConfig{})
	if _, err := r.Sample(4); err == nil {
		t.Fatal("sampled an empty buffer")
	}
	if err := r.Load(); err == nil {
		t.Fatal("Load without a store succeeded")
	}
	r.Add(collectLine(t, 0, 1, "x"))
	if _, err := r.Sample(0); err == nil {
		t.Fatal("batch size 0 accepted")
	}
	if err := r.Add([]Episode{{ID: 9}}); err == nil || r.Len() != 1 {
		t.Fatalf("empty episode: err %v, Len %d", err, r.Len())
	}
}
