// The episode API: Reset, Step, the observation and the task description.

package miniwob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"vlmq/env"
)

// startEpisode (re)starts the current seed's episode on the loaded page.
func (e *Env) startEpisode(ctx context.Context) error {
	_, err := eval[bool](ctx, e.startJS(), chromedp.EvalAwaitPromise)
	return err
}

// observe reads the page state and takes the screenshot.
func (e *Env) observe(ctx context.Context) (view, *image.RGBA, error) {
	v, err := e.list(ctx)
	if err != nil {
		return view{}, nil, err
	}
	v.name()
	img, err := screenshot(ctx, e.w, e.h)
	return v, img, err
}

// list reads the page state, which also sets the elements that refs and
// texts name. MiniWoB++ pages are let settle first (js/harness.js
// settle): they load icons and run animations that our pages do not have.
func (e *Env) list(ctx context.Context) (view, error) {
	if e.proto == protoMiniWoB {
		if _, err := eval[bool](ctx, `__wobH.settle()`, chromedp.EvalAwaitPromise); err != nil {
			return view{}, err
		}
	}
	return eval[view](ctx, `__wobH.observe(`+strconv.Quote(e.proto)+`)`)
}

// screenshot captures the top-left w x h of the window: the task area.
func screenshot(ctx context.Context, w, h int) (*image.RGBA, error) {
	data, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		fast := true
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format: page.CaptureScreenshotFormatPng, OptimizeForSpeed: &fast,
			Clip: &page.Viewport{Width: float64(w), Height: float64(h), Scale: 1},
		})
		return r.Data, err
	})
	if err != nil {
		return nil, err
	}
	src, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("miniwob: decode screenshot: %w", err)
	}
	if rgba, ok := src.(*image.RGBA); ok && rgba.Rect == image.Rect(0, 0, w, h) {
		return rgba, nil
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Rect, src, src.Bounds().Min, draw.Src)
	return dst, nil
}

// Reset starts the episode of seed.
func (e *Env) Reset(seed int64) (env.Observation, error) {
	if e.browser == nil {
		return env.Observation{}, ErrBrowserClosed
	}
	e.seed, e.started, e.done, e.steps = seed, true, false, 0
	e.episode++
	e.log, e.applied = nil, nil
	var v view
	var img *image.RGBA
	op := func(ctx context.Context) error {
		err := e.startEpisode(ctx)
		if pageError(err) {
			// The agent may have navigated away (a real link on an external
			// page): load the task page again and retry.
			if err = chromedp.Do(ctx, chromedp.Navigate(e.url)); err == nil {
				err = e.startEpisode(ctx)
			}
		}
		if err != nil {
			return err
		}
		v, img, err = e.observe(ctx)
		return err
	}
	if err := e.do(op); err != nil {
		e.started = false
		return env.Observation{}, fmt.Errorf("miniwob: reset %s seed %d: %w", e.task, seed, err)
	}
	if v.Done {
		e.started = false
		return env.Observation{}, fmt.Errorf("miniwob: %s ended its episode at the start (%s)", e.task, v.Reason)
	}
	e.setObs(v, img)
	return e.obs, nil
}

func (e *Env) setObs(v view, img *image.RGBA) {
	e.view = v
	e.obs = env.Observation{Text: describeView(v, e.opts.MaxElements), Image: img}
}

// describeView writes the instruction and one line per element, at most
// max of them in document order; a note says how many more there are.
func describeView(v view, max int) string {
	var b strings.Builder
	b.WriteString("Instruction: ")
	b.WriteString(v.Instruction)
	b.WriteString("\nElements (#id tag.classes \"text\" x,y,w,h):")
	if len(v.Elements) == 0 {
		b.WriteString(" none")
	}
	for i, el := range v.Elements {
		if i == max {
			fmt.Fprintf(&b, "\n(%d more elements not listed)", len(v.Elements)-max)
			break
		}
		b.WriteString("\n")
		b.WriteString(el.line())
	}
	if v.Outside > 0 {
		fmt.Fprintf(&b, "\n(%d elements outside the view)", v.Outside)
	}
	return b.String()
}

// line is the element's line in the observation.
func (el Element) line() string {
	var b strings.Builder
	tag := el.Tag
	if el.Classes != "" {
		tag += "." + strings.ReplaceAll(el.Classes, " ", ".")
	}
	fmt.Fprintf(&b, "#%s %s %q %d,%d,%d,%d", el.ID, tag, el.Text, el.X, el.Y, el.W, el.H)
	if el.Value != nil {
		fmt.Fprintf(&b, " value=%q", *el.Value)
	}
	if el.Checked != nil {
		if *el.Checked {
			b.WriteString(" checked")
		} else {
			b.WriteString(" unchecked")
		}
	}
	if el.Focused {
		b.WriteString(" focused")
	}
	return b.String()
}

// Task describes the current episode.
func (e *Env) Task() env.Task {
	return env.Task{
		Goal: e.view.Instruction,
		Actions: fmt.Sprintf("click(x,y) clicks a pixel of the %dx%d view, click(#id) or click(\"text\") a listed "+
			"element; type(\"text\") types into the focused field, type(#id,\"text\") into an element; "+
			"press(Key) presses %s; scroll(x,y,down) or scroll(up).", e.w, e.h, keyDoc),
		Example: "click(80,130)",
	}
}

// Step applies one reply.
func (e *Env) Step(reply string) (env.Step, error) {
	if err := env.StepGuard(e.started, e.done); err != nil {
		return env.Step{}, err
	}
	e.steps++
	st := env.Step{Obs: e.obs}
	choice, ok := e.opts.Syntax.Extract(reply)
	var a action
	var perr error
	if !ok {
		perr = fmt.Errorf("no choice after %q", e.opts.Syntax.Marker)
	} else {
		a, perr = parseIn(choice, e.w, e.h)
	}
	if perr == nil {
		v, img, err := e.act(a)
		var inv invalidTarget
		switch {
		case errors.As(err, &inv):
			perr = inv
		case err != nil && pageError(err):
			e.steps--
			return env.Step{}, fmt.Errorf("miniwob: %s: page script failed: %w", e.task, err)
		case err != nil:
			// The browser failed and could not be recovered: end the
			// episode, keep the log.
			e.done = true
			st.Done = true
			st.Info = env.Info{Valid: true, Action: a.String(),
				Reason: fmt.Sprintf("episode ended: browser failure not recoverable after %d steps: %v", e.steps, err)}
			e.logStep(reply, st)
			return st, nil
		default:
			e.applied = append(e.applied, a)
			e.setObs(v, img)
			st.Obs = e.obs
			st.Info = env.Info{Valid: true, Action: a.String(), Reason: v.Reason}
			if v.Done {
				st.Reward, st.Done = v.Reward, true
				if e.opts.Reward == RewardDecayed {
					st.Reward = v.Scaled
				}
				// MiniWoB++'s binary success: a raw reward of exactly 1.
				// Partial rewards are kept as rewards and noted.
				st.Info.Success = v.Reward >= 1
				if v.Reward > 0 && v.Reward < 1 {
					st.Info.Reason = strings.TrimPrefix(st.Info.Reason+"; "+fmt.Sprintf("partial reward %.2f", v.Reward), "; ")
				}
			}
		}
	}
	if perr != nil {
		st.Reward = e.penalty
		st.Info = env.Info{Reason: "invalid reply: " + perr.Error()}
	}
	if env.CutOff(&st, e.steps, e.opts.MaxSteps) {
		st.Reward = TruncationReward
	}
	e.done = st.Done
	e.logStep(reply, st)
	return st, nil
}

func (e *Env) logStep(reply string, st env.Step) {
	e.log = append(e.log, LogEntry{Reply: reply, Action: st.Info.Action, Reward: st.Reward, Reason: st.Info.Reason})
}

// RandomValid returns a random action that parses and targets something on
// the page: mostly clicks on listed elements (by text or id, as the expert
// clicks them), sometimes a random point, some
// typing or a key press.
func (e *Env) RandomValid(rng *rand.Rand) string {
	els := e.view.Elements
	switch r := rng.IntN(10); {
	case r < 6 && len(els) > 0:
		// Named as the expert names them, so that a noisy expert's wrong
		// clicks differ from its right ones by the target alone.
		return clickListed(els, rng.IntN(len(els)))
	case r < 8:
		return action{kind: clickXY, x: float64(rng.IntN(e.w)), y: float64(min(50, e.h/4) + rng.IntN(e.h-min(50, e.h/4)))}.String()
	case r < 9:
		words := []string{"ok", "hello", "alice", "submit", "apple", "42"}
		return action{kind: typeText, arg: words[rng.IntN(len(words))]}.String()
	default:
		ks := []string{"Enter", "Tab", "Backspace", "Space"}
		return action{kind: pressKey, arg: ks[rng.IntN(len(ks))]}.String()
	}
}
