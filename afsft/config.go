// Package afsft trains a VLM agent with token-level Q-learning and
// Advantage-Filtered Supervised Fine-Tuning (AFSFT), after Grigsby et al.,
// "VLM Q-Learning: Aligning Vision-Language Models for Interactive
// Decision-Making" (2025, arXiv:2505.03181): every reply token is an
// action, a critic head regresses Q(s,a) with TD targets from a Polyak
// target network, and the actor (the LM head) imitates dataset tokens
// weighted by their advantage A = Q - V. docs/method.md describes the
// method as implemented, its settings and the measurements behind their
// defaults.
package afsft

import (
	"errors"
	"fmt"
	"math"
)

// Mode selects the actor's per-token weight w_j.
type Mode string

const (
	Binary Mode = "binary" // w = 1[A > 0] (AFSFT, default)
	Exp    Mode = "exp"    // w = clip(exp(beta*A), 0, MaxWeight)
	SFT    Mode = "sft"    // w = 1 (plain supervised fine-tuning baseline)
)

// MaxBatch bounds the turns per gradient step: a batch's activations grow
// with it, and a damaged train.json must not ask for an allocation that
// ends the process.
const MaxBatch = 4096

// How TD targets value a state (Config.TargetValue).
const (
	TargetPolicy = "policy"
	TargetMax    = "max"
)

// Config holds the training hyper-parameters. The flag and help tags are
// their command-line flags (package cli/flagspec); the exp clip, weight
// decay and gradient clip have none.
type Config struct {
	Mode       Mode    `json:"mode" flag:"mode" help:"actor weights: binary (AFSFT), exp, or sft"`
	Beta       float64 `json:"beta" flag:"beta" help:"exp mode: temperature of exp(beta*A)"`
	MaxWeight  float64 `json:"max_weight" flag:"-"` // exp mode clip
	Gamma      float64 `json:"gamma" flag:"gamma" help:"discount between turns"`
	Tau        float64 `json:"tau" flag:"tau" help:"Polyak rate of the target network"`
	LR         float64 `json:"lr" flag:"lr" help:"AdamW learning rate"`
	WD         float64 `json:"weight_decay" flag:"-"`
	ClipNorm   float64 `json:"clip_norm" flag:"-"`
	Batch      int     `json:"batch" flag:"batch" help:"turns per gradient step"`
	CriticCoef float64 `json:"critic_coef" flag:"critic-coef" help:"weight of the critic loss"`
	HuberDelta float64 `json:"huber_delta" flag:"huber-delta" help:"Huber loss threshold of the critic (beyond it the loss grows linearly)"`
	// ActorWarmup steps train the critic only, so the first advantage
	// filters are not decided by an untrained critic.
	ActorWarmup int `json:"actor_warmup" flag:"actor-warmup" help:"critic-only steps before the actor trains"`
	// SFTWarmup steps give every reply token weight 1 before filtering
	// starts. A critic that cannot yet tell states apart ranks actions the
	// same way everywhere, and filtering on it teaches the actor one fixed
	// action (measured: the policy then ignores the observation); imitating
	// first makes the shared trunk read the observation, so the critic's
	// advantages become state-dependent before they decide anything.
	SFTWarmup int `json:"sft_warmup" flag:"sft-warmup" help:"steps with unfiltered actor weights before advantage filtering starts"`
	// CQL weighs a conservative penalty on both critics, the mean of
	// logsumexp_a Q(s,a) - Q(s,a_data) (Kumar et al., 2020). Without it the
	// Q of tokens the data never takes at a position (measured: <eos> in
	// place of the choice) generalise too high, V = sum pi Q follows the
	// actor onto them, every dataset token gets A < 0 and the filter
	// freezes the actor on the out-of-data token.
	CQL float64 `json:"cql" flag:"cql" help:"weight of the conservative critic penalty (logsumexp Q - Q(data))"`
	// DataSupport takes V(s) over the tokens the replay holds after the
	// same reply prefix (pi renormalised on them) instead of the whole
	// vocabulary, for the advantage and the TD target alike; a token that
	// is the only one the data has after its prefix is kept by the binary
	// filter. It guards against the same failure as CQL without pushing on
	// the shared trunk: Q of tokens the critic never regressed cannot pull
	// V above every dataset token.
	DataSupport bool `json:"data_support" flag:"data-support" help:"take V over the tokens the data holds after each reply prefix, not the whole vocabulary"`
	// Lambda mixes, inside a reply, the one-step target V_tgt(s_{j+1})
	// with the return of the rest of the reply as the data continued it,
	// G_j = (1-Lambda) V_tgt(s_{j+1}) + Lambda G_{j+1}. At 0 (the spec's
	// target) the turn's reward reaches the choice token only through the
	// Q of the tokens after it, one Polyak-lagged hop per token, and those
	// later positions (the EOS after the choice) are where the actor never
	// needs to read the state.
	Lambda float64 `json:"lambda" flag:"lambda" help:"inside a reply, mix the one-step target with the rest of the reply's return (0 = one-step, 1 = the turn's return)"`
	// ChoiceLambda replaces Lambda at the positions where the data holds
	// two or more next tokens after the same reply prefix (a choice; only
	// with DataSupport). At Lambda 1 every token before the choice,
	// and the first token the previous turn bootstraps from, regresses the
	// return of whichever choice the data made there: V(s') becomes the
	// data policy's value, not the actor's. Measured on EZPoints noisy
	// data: pressing the right card was worth -3.8 to that critic (the
	// noisy demonstrator's continuation), "=" -1, so the filter kept "="
	// and every policy ended the episode on its first move. At 0 the
	// target before a choice is V(s') itself (the right card rose to
	// -1.6), so values follow the actor, or with TargetValue "max" the
	// best supported choice. The default is 0 with "max": on the NumberLine
	// demo's data, 500 offline AFSFT steps reached 80% [71, 87] success
	// against 51% at 1 with the policy's V (see docs/method.md).
	ChoiceLambda float64 `json:"choice_lambda" flag:"choice-lambda" help:"lambda at reply positions where the data holds several next tokens (with --data-support; 0 = V over the data's tokens, so values follow the actor)"`
	// SuccessShare is the share of each batch drawn from the turns of
	// successful episodes (when the replay has any; 0 = uniform). Drawn
	// uniformly, the 7 winning episodes of EZPoints' noisy data (2% of
	// 1950 turns) reach each turn's critic about four times in 500 steps,
	// and the critic never learned that "=" after a right formula pays
	// +10 (its Q stayed at -1.5 there).
	SuccessShare float64 `json:"success_share,omitempty" flag:"success-share" help:"share of each batch drawn from the turns of successful episodes (0 = uniform)"`
	// RewardScale multiplies every reward the critic regresses (0 = 1).
	// With the Huber loss a rare large reward (EZPoints' +10 among -1s)
	// moves the critic no more than a reward of 1 + delta would.
	RewardScale float64 `json:"reward_scale,omitempty" flag:"reward-scale" help:"factor on every env reward (and syntax penalty) the critic regresses"`
	// TurnLambda carries the lambda-return across turns: the last token of
	// a turn regresses r + gamma ((1-TurnLambda) V_tgt(s') + TurnLambda
	// G(s')), where G(s') is the lambda-return of the data's continuation
	// from the next turn on, G_t = r_t + gamma ((1-l) V(s_{t+1}) + l
	// G_{t+1}). At 0 (the spec's target) a reward k turns away reaches a
	// turn's first token only after k Polyak-lagged hops. The V inside G
	// comes from a table refreshed every ReturnRefresh steps (Daley and
	// Amato's cached lambda-returns); the first hop stays fresh.
	TurnLambda float64 `json:"turn_lambda,omitempty" flag:"turn-lambda" help:"across turns, mix the one-step bootstrap with the lambda-return of the data's continuation (0 = one-step, 1 = the data's discounted return)"`
	// ReturnRefresh is the number of steps between refreshes of the
	// cached lambda-returns (0 = 100); used only with TurnLambda > 0.
	ReturnRefresh int `json:"return_refresh,omitempty" flag:"return-refresh" help:"steps between refreshes of the cached cross-turn lambda-returns (0 = 100)"`
	// TargetValue chooses how the TD targets value a state: "" or
	// "policy" takes V = sum over the data's tokens of pi Q, the actor's
	// value; "max" takes the best of the data's tokens, max_a Q(s,a)
	// (in-support Q-learning; needs DataSupport). The advantage keeps the
	// policy's V either way. With the policy's V a reward three turns away
	// reaches the first move only as fast as the actor learns the moves
	// in between, and an actor that does not read the state yet keeps
	// every V at the loss it is heading for.
	TargetValue string `json:"target_value,omitempty" flag:"target-value" help:"how TD targets value a state: policy (sum of pi Q over the data's tokens) or max (the best of them; needs --data-support)"`
	// CriticInit, when > 0, adds CriticInit times the LM head to both
	// critic heads' weights when a run starts from a base model (their
	// own small random weights keep the two apart). A base's critic heads
	// were never trained: they read the trunk's last state in random
	// directions, while the LM head reads it in the directions the base
	// learned to answer with (which cards are on the table). Measured on
	// EZPoints: with random critic heads, 300 steps at gamma 0 (the
	// critic only has to regress the -1 of a number not on the table)
	// left Q state-blind, Q("6") the same with and without a 6 on the
	// table.
	CriticInit float64 `json:"critic_init,omitempty" flag:"critic-init" help:"when starting from a base, add this times the LM head to both critic heads (0 = keep the base's heads)"`
	// LRWarmup and LRSchedule shape the learning rate within each phase
	// (the offline steps, and each online round with Schedule.OnlineLR
	// as its peak): a linear warm-up over the phase's first LRWarmup
	// steps, then constant or a cosine decay to CosineFloor of the peak
	// at the phase's end. The rate is a pure function of the step and the
	// phase (Config.LRAt), so a resumed run trains at the rates an
	// uninterrupted one does.
	LRWarmup   int    `json:"lr_warmup,omitempty" flag:"lr-warmup" help:"linear learning-rate warm-up over the first N steps of the offline phase and of each online round (0 = none)"`
	LRSchedule string `json:"lr_schedule,omitempty" flag:"lr-schedule" help:"learning rate after the warm-up: constant (default) or cosine (decays to 10% of the peak by the end of the offline phase, and of each online round)"`
	// ChoiceWeight weighs the actor loss of the reply tokens where the
	// data holds several next tokens after the same reply prefix (the
	// choices) against 1 for the rest: L = sum_i c_i w_i CE_i / sum_i c_i.
	// In a reply such as "[action] forward<eos>" the one choice token is
	// outnumbered by format tokens the data always writes the same way,
	// and the mean over all of them dilutes its gradient. 0 means 1,
	// which is the plain mean over reply tokens.
	ChoiceWeight float64 `json:"choice_weight,omitempty" flag:"choice-weight" help:"actor loss weight of the reply tokens where the data holds several next tokens (choices), against 1 for the others, in a weighted mean over reply tokens (0 or 1 = the plain mean)"`
	// TrainLayers > 0 trains only the top TrainLayers decoder layers, the
	// final norm and the LM and critic heads (vlm.LayerTrainer); the
	// vision tower, projector, embeddings and lower layers are frozen and
	// take no gradient.
	TrainLayers int   `json:"train_layers,omitempty" flag:"train-layers" help:"train only the top N decoder layers, the final norm and the LM and critic heads, freezing the vision tower, projector, embeddings and lower layers (0 = all; small VLM only)"`
	Seed        int64 `json:"seed" flag:"seed" help:"training seed"`
}

// Learning-rate schedules (Config.LRSchedule; "" is constant).
const (
	ScheduleConstant = "constant"
	ScheduleCosine   = "cosine"
)

// CosineFloor is the share of the peak rate the cosine schedule ends a
// phase at, as pretraining's schedule does.
const CosineFloor = 0.1

// Phase is a stretch of steps one learning-rate schedule spans: the
// offline phase, or one online round.
type Phase struct {
	Start int     // the trainer's step count at the phase's first step
	Steps int     // the phase's length (0 = unbounded; not with cosine)
	LR    float64 // peak rate (0 = Config.LR)
}

// LRAt is the learning rate of the step taken when the trainer has taken
// step steps, in phase p.
func (c Config) LRAt(p Phase, step int) float64 {
	peak := p.LR
	if peak == 0 {
		peak = c.LR
	}
	k := max(0, step-p.Start) // steps of the phase already taken
	w := c.LRWarmup
	switch {
	case k < w:
		return peak * float64(k+1) / float64(w)
	case c.LRSchedule == ScheduleCosine && p.Steps > w:
		frac := min(1, float64(k-w)/float64(p.Steps-w))
		return peak * (CosineFloor + (1-CosineFloor)*0.5*(1+math.Cos(math.Pi*frac)))
	}
	return peak
}

// choiceWeight is ChoiceWeight with 0 read as 1.
func (c Config) choiceWeight() float64 {
	if c.ChoiceWeight == 0 {
		return 1
	}
	return c.ChoiceWeight
}

// DefaultConfig returns the settings used by the demo.
func DefaultConfig() Config {
	return Config{
		Mode: Binary, Beta: 1, MaxWeight: 20, Gamma: 0.9, Tau: 0.02,
		LR: 1e-3, WD: 0.01, ClipNorm: 1, Batch: 16, CriticCoef: 1,
		HuberDelta: 1, ActorWarmup: 0, SFTWarmup: 300, CQL: 0, DataSupport: true, Lambda: 1, ChoiceLambda: 0, TargetValue: TargetMax, Seed: 1,
	}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	switch c.Mode {
	case Binary, Exp, SFT:
	default:
		return fmt.Errorf("afsft: unknown mode %q (want binary, exp or sft)", c.Mode)
	}
	bad := func(name string, v float64) error { return fmt.Errorf("afsft: invalid %s %v", name, v) }
	switch {
	case !(c.Gamma >= 0 && c.Gamma <= 1):
		return bad("gamma", c.Gamma)
	case !(c.Tau > 0 && c.Tau <= 1):
		return bad("tau", c.Tau)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return bad("lr", c.LR)
	case c.WD < 0 || math.IsNaN(c.WD):
		return bad("weight_decay", c.WD)
	case c.ClipNorm < 0 || math.IsNaN(c.ClipNorm):
		return bad("clip_norm", c.ClipNorm)
	case c.Batch < 1 || c.Batch > MaxBatch:
		return fmt.Errorf("afsft: invalid batch %d (want 1 to %d)", c.Batch, MaxBatch)
	case c.CriticCoef < 0 || math.IsNaN(c.CriticCoef):
		return bad("critic_coef", c.CriticCoef)
	case !(c.HuberDelta > 0):
		return bad("huber_delta", c.HuberDelta)
	case c.Mode == Exp && !(c.Beta > 0 && c.MaxWeight > 0):
		return fmt.Errorf("afsft: exp mode needs beta > 0 and max_weight > 0")
	case c.ActorWarmup < 0:
		return bad("actor_warmup", float64(c.ActorWarmup))
	case c.CQL < 0 || math.IsNaN(c.CQL):
		return bad("cql", c.CQL)
	case !(c.Lambda >= 0 && c.Lambda <= 1):
		return bad("lambda", c.Lambda)
	case c.SFTWarmup < 0:
		return bad("sft_warmup", float64(c.SFTWarmup))
	case !(c.SuccessShare >= 0 && c.SuccessShare <= 1):
		return bad("success_share", c.SuccessShare)
	case !(c.RewardScale >= 0) || math.IsInf(c.RewardScale, 0):
		return bad("reward_scale", c.RewardScale)
	case !(c.ChoiceLambda >= 0 && c.ChoiceLambda <= 1):
		return bad("choice_lambda", c.ChoiceLambda)
	case !(c.TurnLambda >= 0 && c.TurnLambda <= 1):
		return bad("turn_lambda", c.TurnLambda)
	case c.ReturnRefresh < 0:
		return bad("return_refresh", float64(c.ReturnRefresh))
	case !(c.CriticInit >= 0) || math.IsInf(c.CriticInit, 0):
		return bad("critic_init", c.CriticInit)
	case c.TargetValue != "" && c.TargetValue != TargetPolicy && c.TargetValue != TargetMax:
		return fmt.Errorf("afsft: unknown target value %q (want policy or max)", c.TargetValue)
	case c.LRWarmup < 0:
		return fmt.Errorf("afsft: invalid lr_warmup %d (want 0 or more steps)", c.LRWarmup)
	case c.LRSchedule != "" && c.LRSchedule != ScheduleConstant && c.LRSchedule != ScheduleCosine:
		return fmt.Errorf("afsft: unknown learning-rate schedule %q (want constant or cosine)", c.LRSchedule)
	case !(c.ChoiceWeight >= 0) || math.IsInf(c.ChoiceWeight, 0):
		return fmt.Errorf("afsft: invalid choice_weight %v (want a finite number >= 0; 0 or 1 = unweighted)", c.ChoiceWeight)
	case c.TrainLayers < 0:
		return fmt.Errorf("afsft: invalid train_layers %d (want 0 = all, or the number of top decoder layers to train)", c.TrainLayers)
	case c.TargetValue == TargetMax && !c.DataSupport:
		return errors.New("afsft: target value max needs data support (the max over the whole vocabulary takes tokens the critic never regressed)")
	}
	return nil
}
