package dataset

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzShard feeds arbitrary bytes to the shard reader as a store's only
// shard file. Open (read-only and for writing) and Episodes must fail with
// an error naming the shard, or return episodes that are valid, agree with
// the store's counts, and survive being appended to a new store and read
// back unchanged. Seeds: shards written by Append (with and without images,
// one and several episodes), and damaged copies.
//
// Longer: go test -run '^$' -fuzz=FuzzShard -fuzztime=5m ./dataset
func FuzzShard(f *testing.F) {
	seedDir := f.TempDir()
	s, err := Open(seedDir)
	if err != nil {
		f.Fatal(err)
	}
	if err := s.Append(collectLine(f, 0, 1, "expert")); err != nil {
		f.Fatal(err)
	}
	if err := s.Append(collectLine(f, 1, 3, "noisy-expert")); err != nil {
		f.Fatal(err)
	}
	// A small one (one turn, no image) mutates and parses fastest.
	one := collectLine(f, 4, 1, "random")
	one[0].Turns = one[0].Turns[:1]
	one[0].Turns[0].Image, one[0].Turns[0].Done = nil, true
	if err := s.Append(one); err != nil {
		f.Fatal(err)
	}
	s.Close()
	for _, p := range s.Shards() {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)-10])
		f.Add(b[len(b)/2:])
	}
	f.Add([]byte("PAR1PAR1"))
	f.Add([]byte{})

	dir := f.TempDir()
	shard := filepath.Join(dir, ShardName(0))
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(shard, data, 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := OpenReadOnly(dir)
		if err != nil {
			if !strings.Contains(err.Error(), ShardName(0)) {
				t.Fatalf("Open error does not name the shard: %v", err)
			}
			return
		}
		eps, err := st.Episodes()
		if err != nil {
			if !strings.Contains(err.Error(), ShardName(0)) {
				t.Fatalf("Episodes error does not name the shard: %v", err)
			}
			return
		}
		if len(eps) != st.Len() || NumTurns(eps) != st.NumTurns() {
			t.Fatalf("read %d episodes and %d turns, the store counts %d and %d", len(eps), NumTurns(eps), st.Len(), st.NumTurns())
		}
		for _, e := range eps {
			if err := e.Validate(); err != nil {
				t.Fatalf("read an invalid episode: %v", err)
			}
		}
		// Whatever was read stores and reads back the same.
		out := t.TempDir()
		w, err := Open(out)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if err := w.Append(eps); err != nil {
			t.Fatalf("episodes read from a shard do not append: %v", err)
		}
		got, err := w.Episodes()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, eps) {
			t.Fatal("episodes changed by append -> read")
		}
	})
}
