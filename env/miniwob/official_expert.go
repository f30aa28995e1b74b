package miniwob

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Experts for the official MiniWoB++ tasks.
//
// An official page exposes no ground truth as our pages do (wob.truth()),
// so each task has a solver: a JavaScript function body that reads the
// ground truth from the page as a person with the page's source would (the
// instruction, the DOM, variables the task script leaves global) and
// returns the next action. The Go side turns that answer into one of the
// agent's action strings and hands it to Step like a model's reply, so an
// expert (or noisy-expert) episode is a trajectory an agent could produce.
// Solvers decide from the page as it is at each step, not from a plan,
// which lets them recover after the noisy expert's random actions.
//
// A solver body sees these helpers (js/expert/prelude.js) and must return one
// of their results:
//
//	click(el)         click element el: by its id or ref when the current
//	                  observation lists it, else at its centre; scroll
//	                  towards it when it is outside the view (by its ref
//	                  when no scroll can bring it into view)
//	clickAt(x, y)     click a point of the observed area
//	typ(s)            type s into the focused element
//	press(key)        press a key (a name press() accepts)
//	fill(el, s)       one step towards el holding exactly s (focus, clear,
//	                  type); null when it already does
//	wait(ms)          nothing to do yet (an animation or a delayed widget):
//	                  the expert asks again in ms milliseconds (default
//	                  officialPoll) instead of acting
//
// and these values: Q, the instruction text; F, the instruction's fields
// for tasks whose utterance is an object (else {}); M, an object kept for
// the episode (for what a solver must remember across steps).

// officialSolvers holds the solver of each official task; the family files
// (official_expert_*.go) fill it from js/expert/solvers/<task>.js and the
// shared scripts of js/expert/.
var officialSolvers = map[string]string{}

// addSolvers registers a family's solvers.
func addSolvers(m map[string]string) {
	for k, v := range m {
		if _, dup := officialSolvers[k]; dup {
			panic("miniwob: two solvers for " + k) // a programming error, found at init
		}
		officialSolvers[k] = v
	}
}

// OfficialExpertTasks lists the official tasks that have an expert.
func OfficialExpertTasks() []string {
	out := make([]string, 0, len(officialSolvers))
	for k := range officialSolvers {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// officialPrelude defines the helpers above. Boxes are in top-page pixels,
// the coordinates clicks take.
var officialPrelude = script("expert/prelude.js")

// officialAnswer is a solver's result.
type officialAnswer struct {
	Op   string  `json:"op"`
	Ref  int     `json:"ref"`
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	Text string  `json:"text"`
	Down bool    `json:"down"`
	Ms   float64 `json:"ms"` // wait: how long
}

// Waiting for a solver: how often it is asked again by default, and for
// how long in all before the expert gives up.
const (
	officialPoll    = 100 * time.Millisecond
	officialMaxWait = 5 * time.Second
)

// officialJS is the script that asks solver body for the next action of
// episode ep on a w x h view.
func officialJS(body string, ep, w, h int) string {
	return "(function(EP, AW, AH){" + officialPrelude + slide + "\nvar __r = (function(){" + body + "\n})();\n" +
		"return __r || fail('the solver returned nothing');})(" + fmt.Sprintf("%d, %d, %d", ep, w, h) + ")"
}

// officialAct returns the next action of the official task's expert.
func (x *expert) officialAct() (string, error) {
	e := x.e
	body, ok := officialSolvers[e.task]
	if !ok {
		return "", fmt.Errorf("miniwob expert: no expert for official task %q", e.task)
	}
	js := officialJS(body, e.episode, e.w, e.h)
	var waited time.Duration
	for {
		var a officialAnswer
		err := e.do(func(ctx context.Context) error {
			var err error
			a, err = eval[officialAnswer](ctx, js)
			return err
		})
		if err != nil {
			return "", fmt.Errorf("miniwob expert %s: %w", e.task, err)
		}
		if a.Op != "wait" {
			return x.officialAction(a)
		}
		d := officialPoll
		if a.Ms > 0 {
			d = min(time.Duration(a.Ms*float64(time.Millisecond)), time.Second)
		}
		if waited += d; waited > officialMaxWait {
			return "", fmt.Errorf("miniwob expert %s: the page did not become ready in %v", e.task, officialMaxWait)
		}
		time.Sleep(d)
	}
}

// officialAction spells a solver's answer as an agent action: a listed
// element by the name the observation gives it, anything else by its
// position in the observed area.
func (x *expert) officialAction(a officialAnswer) (string, error) {
	e := x.e
	switch a.Op {
	case "click":
		if a.Ref > 0 {
			for i, el := range e.view.Elements {
				if el.Ref == a.Ref {
					return clickListed(e.view.Elements, i), nil
				}
			}
		}
		cx, cy := math.Round(a.X), math.Round(a.Y)
		if cx < 0 || cy < 0 || cx >= float64(e.w) || cy >= float64(e.h) {
			return "", fmt.Errorf("miniwob expert %s: target at %v,%v is outside the view and not listed", e.task, cx, cy)
		}
		return action{kind: clickXY, x: cx, y: cy}.String(), nil
	case "clickref":
		return clickOn(strconv.Itoa(a.Ref)), nil
	case "scroll":
		return action{kind: scroll, x: math.Round(a.X), y: math.Round(a.Y), down: a.Down}.String(), nil
	case "type":
		if a.Text == "" {
			return "", fmt.Errorf("miniwob expert %s: empty text to type", e.task)
		}
		return action{kind: typeText, arg: a.Text}.String(), nil
	case "press":
		k, ok := keys[strings.ToLower(a.Text)]
		if !ok {
			return "", fmt.Errorf("miniwob expert %s: unknown key %q", e.task, a.Text)
		}
		return action{kind: pressKey, arg: k.name}.String(), nil
	case "error":
		return "", fmt.Errorf("miniwob expert %s: %s", e.task, a.Text)
	}
	return "", fmt.Errorf("miniwob expert %s: unknown solver answer %q", e.task, a.Op)
}

// officialSteps are the step limits of tasks whose expert needs more than
// DefaultMaxSteps; collect and demo need --max-steps of at least this.
var officialSteps = map[string]int{
	"click-checkboxes-large": 15, // up to 12 boxes and the submit button
}

// OfficialExpertSteps is the step limit task's expert needs: 0 (the
// default) unless officialSteps says more.
func OfficialExpertSteps(task string) int { return officialSteps[task] }
