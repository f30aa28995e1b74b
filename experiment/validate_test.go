package experiment

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vlmq/dataset"
	"vlmq/env"
)

// wantErr fails t unless err mentions want ("" = no error).
func wantErr(t *testing.T, what string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: %v", what, err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Errorf("%s: error %v, want one mentioning %q", what, err, want)
	}
}

// fakeMiniWoB is env/miniwob's tiny MiniWoB++-layout checkout.
const fakeMiniWoB = "../env/miniwob/testdata/fake-miniwob"

func TestValidateEnv(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(-1)
	cases := []struct {
		name string
		o    env.Options
		want string
	}{
		{"numberline", env.Options{}, ""},
		{"numberline", env.Options{SyntaxPenalty: -2, MaxSteps: 4, Obs: "image"}, ""},
		{"babyai/GoToObj", env.Options{Obs: "both"}, ""},
		{"chess", env.Options{}, `unknown environment "chess"`},
		{"", env.Options{}, "unknown environment"},
		{"numberline", env.Options{SyntaxPenalty: nan}, "syntax penalty NaN"},
		{"numberline", env.Options{SyntaxPenalty: inf}, "syntax penalty -Inf"},
		{"numberline", env.Options{MaxSteps: -1}, "max steps -1"},
		{"numberline", env.Options{Obs: "pixels"}, `observation mode "pixels"`},
		{"babyai/GoToObj", env.Options{Obs: "image"}, "Gym Cards games only"},
		// MiniWoB++ task names come from the checkout; the old names of
		// our renamed pages still validate.
		{"miniwob/click-test-fake", env.Options{MiniWoBDir: fakeMiniWoB}, ""},
		{"miniwob/click-test-fake", env.Options{}, "unknown environment"},
		{"miniwob/nope", env.Options{MiniWoBDir: fakeMiniWoB}, `no task "nope"`},
		{"miniwob/click-test-fake", env.Options{MiniWoBDir: "."}, "does not look like a MiniWoB++ checkout"},
		{"miniwob/click-dialog", env.Options{}, ""},
		{"miniwob/click-button", env.Options{Reward: "decayed", Data: "test"}, ""},
		{"numberline", env.Options{Reward: "decayed"}, "MiniWoB tasks only"},
		{"miniwob/click-button", env.Options{Reward: "decay"}, `--reward "decay"`},
		{"miniwob/click-button", env.Options{Data: "eval"}, `--data-mode "eval"`},
	}
	for _, c := range cases {
		wantErr(t, fmt.Sprintf("%s %+v", c.name, c.o), ValidateEnv(c.name, c.o), c.want)
	}
	// A base's env list says the same of a checkout's tasks.
	for _, c := range cases {
		if c.o.MiniWoBDir == "" {
			continue
		}
		b := DefaultDemo(c.name, "").Pretrain
		b.EnvOpts = c.o
		wantErr(t, fmt.Sprintf("base of %s %+v", c.name, c.o), b.Validate(), c.want)
	}
}

// TestEvalSpecValidate: bad specs are refused by Evaluate before it opens
// an env or touches the model (nil here), instead of panicking (episodes
// -1: makeslice) or printing a table of NaN (episodes 0).
func TestEvalSpecValidate(t *testing.T) {
	ok := EvalSpec{Env: "numberline", Episodes: 10, Parallel: 2, MaxReply: 12}
	cases := []struct {
		name string
		edit func(*EvalSpec)
		want string
	}{
		{"episodes -1", func(s *EvalSpec) { s.Episodes = -1 }, "eval episodes -1, want 1 to 500000000"},
		{"episodes 0", func(s *EvalSpec) { s.Episodes = 0 }, "eval episodes 0, want 1 to 500000000"},
		{"episodes past the range", func(s *EvalSpec) { s.Episodes = 500_000_001 }, "eval episodes 500000001, want 1 to 500000000"},
		{"parallel -1", func(s *EvalSpec) { s.Parallel = -1 }, "parallel -1"},
		{"max reply -1", func(s *EvalSpec) { s.MaxReply = -1 }, "max reply -1"},
		{"temperature -1", func(s *EvalSpec) { s.Temperature = -1 }, "temperature -1"},
		{"temperature NaN", func(s *EvalSpec) { s.Temperature = math.NaN() }, "temperature NaN"},
		{"temperature Inf", func(s *EvalSpec) { s.Temperature = math.Inf(1) }, "temperature +Inf"},
		{"unknown env", func(s *EvalSpec) { s.Env = "chess" }, "unknown environment"},
		{"penalty NaN", func(s *EvalSpec) { s.EnvOpts.SyntaxPenalty = math.NaN() }, "syntax penalty"},
		{"max steps -1", func(s *EvalSpec) { s.EnvOpts.MaxSteps = -1 }, "max steps"},
	}
	wantErr(t, "valid spec", ok.Validate(), "")
	for _, c := range cases {
		s := ok
		c.edit(&s)
		wantErr(t, c.name+": Validate", s.Validate(), c.want)
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: Evaluate panicked: %v", c.name, r)
				}
			}()
			_, _, err := Evaluate(context.Background(), nil, s, nil)
			wantErr(t, c.name+": Evaluate", err, c.want)
		}()
	}
}

// TestDataSpecValidate: CollectData refuses bad specs before collecting
// anything (the store stays empty).
func TestDataSpecValidate(t *testing.T) {
	ok := DataSpec{Env: "numberline", Source: SourceNoisyExpert, Episodes: 4, PRandom: 0.2, PWrong: 0.4, PInvalid: 0.4, Seed: 1, Chunk: 2}
	nan := math.NaN()
	cases := []struct {
		name string
		edit func(*DataSpec)
		want string
	}{
		{"episodes 0", func(s *DataSpec) { s.Episodes = 0 }, "episodes 0, want at least 1"},
		{"episodes -3", func(s *DataSpec) { s.Episodes = -3 }, "episodes -3, want at least 1"},
		{"unknown source", func(s *DataSpec) { s.Source = "oracle" }, "unknown data source"},
		{"unknown env", func(s *DataSpec) { s.Env = "chess" }, "unknown environment"},
		{"p_random -0.1", func(s *DataSpec) { s.PRandom = -0.1 }, "p_random -0.1"},
		{"p_wrong 1.5", func(s *DataSpec) { s.PWrong = 1.5 }, "p_wrong 1.5"},
		{"p_invalid NaN", func(s *DataSpec) { s.PInvalid = nan }, "p_invalid NaN"},
		{"p_random Inf", func(s *DataSpec) { s.PRandom = math.Inf(1) }, "p_random +Inf"},
		{"sum above 1", func(s *DataSpec) { s.PInvalid = 0.5 }, "want at most 1"},
		{"temperature NaN", func(s *DataSpec) { s.Temperature = nan }, "temperature NaN"},
		{"temperature -1", func(s *DataSpec) { s.Temperature = -1 }, "temperature -1"},
		{"syntax penalty NaN", func(s *DataSpec) { s.EnvOpts.SyntaxPenalty = nan }, "syntax penalty NaN"},
		{"max steps -1", func(s *DataSpec) { s.EnvOpts.MaxSteps = -1 }, "max steps -1"},
		{"obs on babyai", func(s *DataSpec) { s.Env, s.EnvOpts.Obs = "babyai/GoToObj", "text" }, "Gym Cards games only"},
		{"seed -1", func(s *DataSpec) { s.Seed = -1 }, "--data-seed must be in 0..499"},
		{"seed 500 (online seeds)", func(s *DataSpec) { s.Seed = 500 }, "--data-seed must be in 0..499"},
		{"seed 1000 (eval seeds)", func(s *DataSpec) { s.Seed = 1000 }, "--data-seed must be in 0..499"},
		{"episodes past the seed's block", func(s *DataSpec) { s.Seed, s.Episodes = 499, 1_000_001 }, "want 0..1000000"},
		{"chunk -1", func(s *DataSpec) { s.Chunk = -1 }, "chunk -1"},
		{"parallel -1", func(s *DataSpec) { s.Parallel = -1 }, "parallel -1"},
	}
	wantErr(t, "valid spec", ok.Validate(), "")
	// The most and the largest seed the dataset range allows.
	big := ok
	big.Seed, big.Episodes = MaxDataSeed, int(DataSeedsPerSeed)
	wantErr(t, "largest seed, full block", big.Validate(), "")
	store, err := dataset.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, c := range cases {
		s := ok
		c.edit(&s)
		wantErr(t, c.name+": Validate", s.Validate(), c.want)
		n := 0
		err := CollectData(context.Background(), s, store, nil, func(int, int) { n++ })
		wantErr(t, c.name+": CollectData", err, c.want)
		if n > 0 || store.Len() > 0 {
			t.Fatalf("%s: %d chunks, %d episodes collected before the error", c.name, n, store.Len())
		}
	}
}

// TestSeedRangesDisjoint: the largest dataset, the largest online run and
// evaluation use three disjoint seed ranges, and one step beyond each
// bound is refused.
func TestSeedRangesDisjoint(t *testing.T) {
	// Data: the largest seed with its whole block of episodes.
	if err := ValidateDataSeeds(MaxDataSeed, int(DataSeedsPerSeed)); err != nil {
		t.Fatal(err)
	}
	dataLo, dataHi := DataSeed(0, 0), DataSeed(MaxDataSeed, int(DataSeedsPerSeed)-1)
	// Online: trainRun.play numbers seeds OnlineSeedBase + i for the i-th
	// episode of the run, i < rounds × episodes per round.
	rounds, perRound := 10_000, 50_000
	if err := ValidateOnlineSeeds(rounds, perRound); err != nil {
		t.Fatal(err)
	}
	onlineLo, onlineHi := OnlineSeed(0), OnlineSeed(rounds*perRound-1)
	evalLo := EvalSeed(0)
	if !(dataLo >= 0 && dataHi < onlineLo && onlineHi < evalLo) {
		t.Fatalf("ranges overlap: data [%d, %d], online [%d, %d], eval from %d", dataLo, dataHi, onlineLo, onlineHi, evalLo)
	}
	if onlineLo != OnlineSeedBase || evalLo != EvalSeedBase || dataLo != DataSeedBase {
		t.Fatalf("ranges start at %d, %d, %d, want the bases", dataLo, onlineLo, evalLo)
	}
	// Consecutive data seeds do not share episode seeds either.
	if DataSeed(3, int(DataSeedsPerSeed)-1) >= DataSeed(4, 0) {
		t.Fatal("data seeds 3 and 4 overlap")
	}
	for _, c := range []struct {
		name string
		err  error
	}{
		{"data seed past the range", ValidateDataSeeds(MaxDataSeed+1, 1)},
		{"negative data seed", ValidateDataSeeds(-1, 1)},
		{"data episodes past the block", ValidateDataSeeds(MaxDataSeed, int(DataSeedsPerSeed)+1)},
		{"online run past the range", ValidateOnlineSeeds(rounds, perRound+1)},
		{"online run far past the range (no overflow)", ValidateOnlineSeeds(math.MaxInt, math.MaxInt)},
		{"negative rounds", ValidateOnlineSeeds(-1, 5)},
	} {
		if c.err == nil {
			t.Errorf("%s accepted", c.name)
		}
	}
	if err := ValidateOnlineSeeds(0, 0); err != nil {
		t.Errorf("no online rounds: %v", err)
	}
}

// TestDataSeedsUsed: a collected dataset's episodes sit on the seeds
// DataSeed gives.
func TestDataSeedsUsed(t *testing.T) {
	store, err := dataset.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := DataSpec{Env: "numberline", Source: SourceRandom, Episodes: 3, Seed: 7, Chunk: 2}
	if err := CollectData(context.Background(), s, store, nil, nil); err != nil {
		t.Fatal(err)
	}
	eps, err := store.Episodes()
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range eps {
		if e.Seed != DataSeed(7, i) || e.Seed != 7_000_000+int64(i) {
			t.Errorf("episode %d on seed %d, want %d", i, e.Seed, DataSeed(7, i))
		}
	}
}

// TestLoadEpisodesPaths: --data naming a file or nothing says which.
func TestLoadEpisodesPaths(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "shard-000000.parquet")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := dataset.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close() // a writer holds the lock; LoadEpisodes must not need it
	cases := []struct {
		path, want string
	}{
		{file, "is a file, not a dataset folder"},
		{filepath.Join(dir, "missing"), "does not exist"},
		{filepath.Join(dir, "data"), ""},
	}
	for _, c := range cases {
		_, err := LoadEpisodes([]string{c.path})
		wantErr(t, c.path, err, c.want)
	}
}

func TestDataSpecDescribe(t *testing.T) {
	for _, c := range []struct {
		spec DataSpec
		want string
	}{
		{DataSpec{Source: SourceNoisyExpert, Episodes: 300, PRandom: 0.2, PWrong: 0.4, PInvalid: 0.25}, "300 noisy-expert episodes (p_random 0.20, p_wrong 0.40, p_invalid 0.25)"},
		{DataSpec{Source: SourceRandom, Episodes: 10, PRandom: 0.2, PInvalid: 0.25}, "10 random episodes (p_invalid 0.25)"},
		{DataSpec{Source: SourceBaseModel, Episodes: 5, PRandom: 0.2}, "5 base-model episodes (temperature 1)"},
		{DataSpec{Source: SourceBaseModel, Episodes: 5, Temperature: 0.5}, "5 base-model episodes (temperature 0.5)"},
		{DataSpec{Source: SourceExpert, Episodes: 7, PWrong: 0.4}, "7 expert episodes"},
	} {
		if got := c.spec.Describe(); got != c.want {
			t.Errorf("%+v: got %q, want %q", c.spec, got, c.want)
		}
	}
}
