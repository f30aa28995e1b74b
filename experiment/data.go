package experiment

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"

	"vlmq/agent"
	"vlmq/dataset"
	"vlmq/env"
	"vlmq/vlm"
)

// Dataset sources.
const (
	SourceRandom      = "random"       // uniformly random legal choices
	SourceExpert      = "expert"       // the env's expert
	SourceNoisyExpert = "noisy-expert" // expert with random and invalid replies mixed in
	SourceBaseModel   = "base-model"   // sampling replies from the base VLM
)

// DataSpec describes a dataset to collect: the collect job's spec, with
// its flags in the flag and help tags (package cli/flagspec).
type DataSpec struct {
	Env      string  `json:"env" flag:"env" help:"environment (see vlmq envs)"`
	Source   string  `json:"source" flag:"source" help:"dataset source: random, expert, noisy-expert or base-model"`
	Episodes int     `json:"episodes" flag:"episodes" help:"episodes of this source the dataset should hold"`
	PRandom  float64 `json:"p_random" flag:"p-random" help:"noisy-expert: share of random legal replies"`
	PWrong   float64 `json:"p_wrong" flag:"p-wrong" help:"noisy-expert: share of legal replies other than the expert's (systematic mistakes)"`
	PInvalid float64 `json:"p_invalid" flag:"p-invalid" help:"noisy-expert and random: share of malformed replies"`
	Seed     int64   `json:"seed" flag:"data-seed" help:"dataset seed: selects the episode seeds"`
	// Chunk episodes are appended per shard, so a killed collection keeps
	// every finished chunk and resumes after it.
	Chunk       int     `json:"chunk" flag:"-"`
	Temperature float64 `json:"temperature" flag:"temperature" help:"base-model: sampling temperature (0 = 1)"`
	Parallel    int     `json:"parallel" flag:"parallel" help:"environments per generation batch"`
	// MaxReply is the base-model source's reply token limit (0 =
	// DefaultMaxReply), as training and evaluation cut replies.
	MaxReply int         `json:"max_reply,omitempty" flag:"max-reply" help:"reply token limit"`
	EnvOpts  env.Options `flag:"*"`
}

// DefaultData is the demo's dataset on env (DefaultDemo).
func DefaultData(env string) DataSpec {
	return DataSpec{Env: env, Source: SourceNoisyExpert, Episodes: 300, PRandom: 0.2, PWrong: 0.4, PInvalid: 0.25, Seed: 1, Chunk: 50}
}

// DefaultCollect is collect's defaults: the demo's dataset, with a reply
// limit and base-model batches of 16 env. The demo keeps its zero
// temperature and parallel (1 env at a time), so its stored specs and
// base-model episodes stay as they were.
func DefaultCollect(env string) DataSpec {
	d := DefaultData(env)
	d.Temperature, d.Parallel, d.MaxReply = 1, 16, DefaultMaxReply
	return d
}

// Describe names the dataset by the settings its source reads: the
// noise shares mean nothing to the base-model source, and only the
// malformed share to the random one.
func (s DataSpec) Describe() string {
	head := fmt.Sprintf("%d %s episodes", s.Episodes, s.Source)
	switch s.Source {
	case SourceNoisyExpert:
		return head + fmt.Sprintf(" (p_random %.2f, p_wrong %.2f, p_invalid %.2f)", s.PRandom, s.PWrong, s.PInvalid)
	case SourceRandom:
		return head + fmt.Sprintf(" (p_invalid %.2f)", s.PInvalid)
	case SourceBaseModel:
		t := s.Temperature
		if t == 0 {
			t = 1 // rolloutChunk's default
		}
		return head + fmt.Sprintf(" (temperature %.2g)", t)
	}
	return head
}

// Validate checks the spec before any work: a known source and env, at
// least one episode, episode seeds inside the dataset range (see
// ValidateDataSeeds), shares that are probabilities summing to at most 1,
// a finite temperature >= 0 and env options ValidateEnv accepts.
func (s DataSpec) Validate() error {
	switch s.Source {
	case SourceRandom, SourceExpert, SourceNoisyExpert, SourceBaseModel:
	default:
		return fmt.Errorf("experiment: unknown data source %q (random, expert, noisy-expert, base-model)", s.Source)
	}
	if s.Episodes < 1 {
		return fmt.Errorf("experiment: episodes %d, want at least 1", s.Episodes)
	}
	if err := ValidateDataSeeds(s.Seed, s.Episodes); err != nil {
		return err
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"p_random", s.PRandom}, {"p_wrong", s.PWrong}, {"p_invalid", s.PInvalid}} {
		if !validShare(p.v) {
			return fmt.Errorf("experiment: %s %v, want a probability in [0, 1]", p.name, p.v)
		}
	}
	// A little slack for decimal shares such as 0.1+0.2+0.7.
	if sum := s.PRandom + s.PWrong + s.PInvalid; sum > 1+1e-9 {
		return fmt.Errorf("experiment: p_random + p_wrong + p_invalid = %v, want at most 1", sum)
	}
	switch {
	case !validTemperature(s.Temperature):
		return fmt.Errorf("experiment: temperature %v, want a finite number >= 0", s.Temperature)
	case s.Chunk < 0 || s.Parallel < 0 || s.MaxReply < 0:
		return fmt.Errorf("experiment: chunk %d, parallel %d, max reply %d, want >= 0", s.Chunk, s.Parallel, s.MaxReply)
	}
	return ValidateEnv(s.Env, s.EnvOpts)
}

// CollectData appends episodes to store until it holds spec.Episodes
// episodes of this source; it resumes an interrupted collection. m is
// needed only for the base-model source. The spec is validated first.
func CollectData(ctx context.Context, spec DataSpec, store *dataset.Store, m vlm.Model, progress func(done, total int)) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if spec.Chunk <= 0 {
		spec.Chunk = 50
	}
	// Counted from the shard footers: a resumed (or finished) collection
	// decodes nothing.
	have, err := store.CountSource(spec.Source)
	if err != nil {
		return err
	}
	var pol func(e env.Env, rng *rand.Rand) (dataset.Policy, error)
	switch spec.Source {
	case SourceRandom:
		// Uniformly random legal choices, with the same share of malformed
		// replies as the noisy expert (PRandom and PWrong do not apply).
		pol = func(e env.Env, rng *rand.Rand) (dataset.Policy, error) {
			p := dataset.RandomValid(e, rng)
			if spec.PInvalid == 0 {
				return p, nil
			}
			return dataset.Noisy(p, e, dataset.NoiseConfig{PInvalid: spec.PInvalid, Rng: rng})
		}
	case SourceExpert, SourceNoisyExpert:
		pol = func(e env.Env, rng *rand.Rand) (dataset.Policy, error) {
			x, err := env.NewExpert(e)
			if err != nil {
				return nil, err
			}
			p := dataset.ExpertPolicy(x, e.Syntax())
			if spec.Source == SourceExpert {
				return p, nil
			}
			return dataset.Noisy(p, e, dataset.NoiseConfig{PRandomValid: spec.PRandom, PWrongValid: spec.PWrong, PInvalid: spec.PInvalid, Rng: rng})
		}
	case SourceBaseModel:
		if m == nil {
			return fmt.Errorf("experiment: the base-model source needs a model")
		}
	default:
		return fmt.Errorf("experiment: unknown data source %q (random, expert, noisy-expert, base-model)", spec.Source)
	}
	return appendChunks(store, have, spec.Episodes, spec.Chunk, func(done, n int) ([]dataset.Episode, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		seeds := make([]int64, n)
		for i := range seeds {
			seeds[i] = DataSeed(spec.Seed, done+i)
		}
		if spec.Source == SourceBaseModel {
			return rolloutChunk(ctx, spec, m, seeds, store.NextEpisodeID())
		}
		return collectChunk(spec, pol, seeds, store.NextEpisodeID(), int64(done))
	}, func(done int, _ []dataset.Episode) {
		if progress != nil {
			progress(done, spec.Episodes)
		}
	})
}

// appendChunks is the collection loop of datasets and online rounds: it
// plays chunks of at most chunk episodes from done up to total and
// appends each to store before playing the next, so a killed collection
// keeps every finished chunk and its rerun, counting from the store,
// resumes after them. play gets the count so far and the chunk's size;
// stored, if set, the new count and the chunk's episodes.
func appendChunks(store *dataset.Store, done, total, chunk int, play func(done, n int) ([]dataset.Episode, error), stored func(done int, eps []dataset.Episode)) error {
	for done < total {
		n := min(chunk, total-done)
		eps, err := play(done, n)
		if err != nil {
			return err
		}
		if err := store.Append(eps); err != nil {
			return err
		}
		done += n
		if stored != nil {
			stored(done, eps)
		}
	}
	return nil
}

func collectChunk(spec DataSpec, pol func(env.Env, *rand.Rand) (dataset.Policy, error), seeds []int64, firstID, offset int64) ([]dataset.Episode, error) {
	e, err := env.New(spec.Env, spec.EnvOpts)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	// The rng depends on the chunk's position so a resumed collection
	// produces the same episodes as an uninterrupted one.
	rng := rand.New(rand.NewPCG(uint64(spec.Seed), uint64(offset)))
	p, err := pol(e, rng)
	if err != nil {
		return nil, err
	}
	return dataset.Collect(e, p, seeds, dataset.CollectOptions{FirstID: firstID, Source: spec.Source, History: spec.EnvOpts.History, MaxTurns: turnGuard(spec.EnvOpts)})
}

func rolloutChunk(ctx context.Context, spec DataSpec, m vlm.Model, seeds []int64, firstID int64) ([]dataset.Episode, error) {
	par := max(1, spec.Parallel)
	es, err := OpenEnvs([]string{spec.Env}, min(par, len(seeds)), spec.EnvOpts)
	if err != nil {
		return nil, err
	}
	defer CloseEnvs(es)
	temp := spec.Temperature
	if temp == 0 {
		temp = 1
	}
	a := &agent.Agent{Model: m, Temperature: temp, MaxReply: cmp.Or(spec.MaxReply, DefaultMaxReply), Seed: spec.Seed + firstID, Source: SourceBaseModel,
		History: spec.EnvOpts.History, MaxTurns: turnGuard(spec.EnvOpts)}
	return a.Rollout(ctx, es, seeds, firstID, nil)
}

// turnGuard is the turn cap of collectors and agents (a guard against envs
// that never end, 1000 and 300 turns by default) for options o: above an
// explicit step limit, so that the env's own limit is the one honoured
// (BossLevel with --max-steps 1500 was cut at 1000 turns).
func turnGuard(o env.Options) int {
	if o.MaxSteps > 0 {
		return o.MaxSteps + 1
	}
	return 0 // the collector's or agent's default
}

// DataInfo is what a dataset of env name played with options o records
// (dataset.Info): collection writes it, training checks it.
func DataInfo(name string, o env.Options) dataset.Info {
	if o.Syntax == (env.Syntax{}) {
		o.Syntax = env.DefaultSyntax()
	}
	obs := o.Obs
	if opt, ok := env.OptionOf(name, "--obs"); ok && obs == "" {
		obs = opt.Neutral // what an unset --obs means to the family
	}
	opts, _ := json.Marshal(o)
	syn := fmt.Sprintf("%q", o.Syntax.Marker)
	if o.Syntax.CaseSensitive {
		syn += " (case-sensitive)"
	}
	return dataset.Info{Env: name, Obs: obs, Syntax: syn, Options: opts}
}

// CheckData checks the dataset folders before any work and returns how
// many episodes they hold: each must exist and be a dataset, none may be
// given twice (its episodes would count double), and all must hold
// episodes of one kind: want's, or when want is nil the first folder's.
// It reads only the stores' records and shard footers.
func CheckData(dirs []string, want *dataset.Info) (int, error) {
	var seen []os.FileInfo
	n := 0
	for _, d := range dirs {
		fi, err := os.Stat(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return 0, fmt.Errorf("experiment: dataset directory %s does not exist", d)
		case err != nil:
			return 0, fmt.Errorf("experiment: dataset directory: %w", err)
		case !fi.IsDir():
			return 0, fmt.Errorf("experiment: %s is a file, not a dataset folder (give the folder that holds the shard-*.parquet files)", d)
		}
		for i, o := range seen {
			if os.SameFile(o, fi) {
				return 0, fmt.Errorf("experiment: dataset %s is given twice (as %s and %s): its episodes would count twice", d, dirs[i], d)
			}
		}
		seen = append(seen, fi)
		st, err := dataset.OpenReadOnly(d)
		if err != nil {
			return 0, err
		}
		if st.Len() == 0 {
			continue
		}
		n += st.Len()
		in, err := st.Info()
		if err != nil {
			return 0, err
		}
		if want == nil {
			want = &in
			continue
		}
		if diff := in.Differ(*want); diff != "" {
			return 0, fmt.Errorf("experiment: dataset %s holds other episodes than these settings make (%s): give datasets collected with the same env and options", d, diff)
		}
	}
	return n, nil
}

// LoadEpisodes reads every episode of the dataset directories, after
// CheckData (so a mistyped, repeated or mixed --data is refused). It opens
// them read-only, so it takes no lock and works while a collect appends.
func LoadEpisodes(dirs []string) ([]dataset.Episode, error) {
	if _, err := CheckData(dirs, nil); err != nil {
		return nil, err
	}
	var eps []dataset.Episode
	for _, d := range dirs {
		fi, err := os.Stat(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("experiment: dataset directory %s does not exist", d)
		case err != nil:
			return nil, fmt.Errorf("experiment: dataset directory: %w", err)
		case !fi.IsDir():
			return nil, fmt.Errorf("experiment: %s is a file, not a dataset folder (give the folder that holds the shard-*.parquet files)", d)
		}
		st, err := dataset.OpenReadOnly(d)
		if err != nil {
			return nil, err
		}
		e, err := st.Episodes()
		if err != nil {
			return nil, err
		}
		eps = append(eps, e...)
	}
	return eps, nil
}
