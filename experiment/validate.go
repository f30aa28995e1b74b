package experiment

import (
	"fmt"
	"math"
	"strings"

	"vlmq/env"
	"vlmq/env/miniwob"
)

// Episode seeds. Datasets, online rounds and evaluation draw their env
// seeds from three disjoint ranges, so evaluation never replays a seed any
// training episode came from:
//
//	datasets     [DataSeedBase, OnlineSeedBase)   DataSeed(seed, i) = seed×DataSeedsPerSeed + i
//	online       [OnlineSeedBase, EvalSeedBase)   OnlineSeed(i), i < rounds × episodes per round
//	evaluation   [EvalSeedBase, ValSeedBase)      EvalSeed(i), i < MaxEvalEpisodes
//	validation   [ValSeedBase, ...)               ValSeed(i)
//
// ValidateDataSeeds and ValidateOnlineSeeds refuse settings that would
// leave a range.
const (
	// DataSeedsPerSeed is how many episode seeds one dataset --seed owns:
	// seed s collects episodes on seeds s×DataSeedsPerSeed + i.
	DataSeedsPerSeed int64 = 1_000_000
	// MaxDataSeed is the largest dataset --seed (499).
	MaxDataSeed = (OnlineSeedBase-DataSeedBase)/DataSeedsPerSeed - 1
	// MaxOnlineEpisodes is how many online episodes a run can play
	// (online rounds × episodes per round) before leaving the online range.
	MaxOnlineEpisodes = EvalSeedBase - OnlineSeedBase
	// MaxEvalEpisodes is how many episodes one evaluation can play before
	// leaving its range.
	MaxEvalEpisodes = ValSeedBase - EvalSeedBase
)

// DataSeed is the env seed of episode i of a dataset collected with seed.
func DataSeed(seed int64, i int) int64 { return DataSeedBase + seed*DataSeedsPerSeed + int64(i) }

// OnlineSeed is the env seed of a run's i-th online episode.
func OnlineSeed(i int) int64 { return OnlineSeedBase + int64(i) }

// EvalSeed is the env seed of the i-th evaluation episode.
func EvalSeed(i int) int64 { return EvalSeedBase + int64(i) }

// ValSeed is the env seed of the i-th validation episode (choosing a
// checkpoint during training).
func ValSeed(i int) int64 { return ValSeedBase + int64(i) }

// ValidateDataSeeds checks that a dataset of episodes episodes collected
// with seed stays inside the dataset seed range and its own seed's block.
func ValidateDataSeeds(seed int64, episodes int) error {
	switch {
	case seed < 0 || seed > MaxDataSeed:
		return fmt.Errorf("experiment: data seed %d out of range: --data-seed must be in 0..%d (seed s plays episode seeds s×%d + i, and only [%d, %d) is for datasets; online rounds and evaluation use the seeds above)",
			seed, MaxDataSeed, DataSeedsPerSeed, DataSeedBase, OnlineSeedBase)
	case episodes < 0 || int64(episodes) > DataSeedsPerSeed:
		return fmt.Errorf("experiment: %d episodes for data seed %d, want 0..%d (seed s owns episode seeds s×%d .. s×%d + %d; use several seeds for more)",
			episodes, seed, DataSeedsPerSeed, DataSeedsPerSeed, DataSeedsPerSeed, DataSeedsPerSeed-1)
	}
	return nil
}

// ValidateOnlineSeeds checks that rounds × perRound online episodes stay
// inside the online seed range.
func ValidateOnlineSeeds(rounds, perRound int) error {
	switch {
	case rounds < 0 || perRound < 0:
		return fmt.Errorf("experiment: %d online rounds of %d episodes", rounds, perRound)
	case rounds > 0 && perRound > 0 && int64(rounds) > MaxOnlineEpisodes/int64(perRound):
		return fmt.Errorf("experiment: %d online rounds × %d episodes per round is more than the %d online episode seeds [%d, %d)",
			rounds, perRound, MaxOnlineEpisodes, OnlineSeedBase, EvalSeedBase)
	}
	return nil
}

// MaxStepLimit bounds --max-steps.
const MaxStepLimit = 100000

// ValidateEnv checks an environment name and its options before any work:
// the name is one of env.Names(), the syntax penalty is finite, the step
// limit is not negative, and the history and the family options (each
// family's own, such as the Gym Cards' --obs) pass env.Options.Check.
func ValidateEnv(name string, o env.Options) error {
	if !env.Known(name, o) {
		return unknownEnv(name, o)
	}
	switch {
	case math.IsNaN(o.SyntaxPenalty) || math.IsInf(o.SyntaxPenalty, 0):
		return fmt.Errorf("experiment: syntax penalty %v, want a finite number", o.SyntaxPenalty)
	case o.MaxSteps < 0:
		return fmt.Errorf("experiment: max steps %d, want 0 (the env's own limit) or more", o.MaxSteps)
	case o.MaxSteps > MaxStepLimit:
		// The limit is honoured exactly (turnGuard), so an absurd one
		// would let an env that never ends run for days.
		return fmt.Errorf("experiment: max steps %d, want at most %d", o.MaxSteps, MaxStepLimit)
	}
	return o.Check(name)
}

// unknownEnv says why env.Known refused name: a MiniWoB task missing
// from the --miniwob-dir checkout, a folder that is no checkout at all
// (Known cannot tell the two apart), or a name no domain has.
func unknownEnv(name string, o env.Options) error {
	if task, web := strings.CutPrefix(name, "miniwob/"); web && o.MiniWoBDir != "" {
		if _, err := miniwob.ExternalTasks(o.MiniWoBDir); err != nil {
			return fmt.Errorf("experiment: --miniwob-dir: %w", err)
		}
		return fmt.Errorf("experiment: no task %q in the MiniWoB++ checkout %s", task, o.MiniWoBDir)
	}
	return fmt.Errorf("experiment: unknown environment %q (see vlmq envs)", name)
}

// validShare reports whether p is a probability.
func validShare(p float64) bool { return p >= 0 && p <= 1 }

// validTemperature reports whether t is a finite temperature >= 0.
func validTemperature(t float64) bool { return t >= 0 && !math.IsInf(t, 1) }
