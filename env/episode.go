package env

import "strings"

// The rules every env family shares for an episode's bookkeeping. They are
// functions over the family's own fields, not a struct to embed, because
// the families' tests set those fields directly (BabyAI's build worlds by
// hand) and must keep working unchanged.

// Penalty is the reward of a reply that does not parse, from an env's
// options: exactly 0 when zero is set, else p, where 0 means
// DefaultSyntaxPenalty.
func Penalty(p float64, zero bool) float64 {
	switch {
	case zero:
		return 0
	case p == 0:
		return DefaultSyntaxPenalty
	}
	return p
}

// StepGuard is the error Step returns instead of playing: ErrNotStarted
// before the first Reset, ErrEpisodeDone once the episode has ended, nil
// while it runs.
func StepGuard(started, done bool) error {
	switch {
	case !started:
		return ErrNotStarted
	case done:
		return ErrEpisodeDone
	}
	return nil
}

// CutOff ends st at the step limit: the limit-th step of an episode (steps
// counts it, invalid replies included) is its last, Done and Truncated,
// unless it ended the episode by itself. It reports whether it cut, so a
// family can give the cut step a reward of its own (MiniWoB's failure).
func CutOff(st *Step, steps, limit int) bool {
	if st.Done || steps < limit {
		return false
	}
	st.Done, st.Info.Truncated = true, true
	st.Info.Reason = strings.TrimPrefix(st.Info.Reason+"; step limit reached", "; ")
	return true
}
