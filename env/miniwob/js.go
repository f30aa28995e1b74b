// JavaScript run in the page: the scripts under js/, embedded and read once
// at init, their evaluation and the episode start.
//
// js/harness.js is injected into every document; js/start-miniwob.js starts
// a MiniWoB++ episode; js/expert/ holds the official experts' helpers
// (prelude.js, the shared libraries and solver bodies) and one solver body
// per task in js/expert/solvers/ (see official_expert.go).

package miniwob

import (
	"context"
	"embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/chromedp/chromedp"
)

//go:embed js
var jsFS embed.FS

// jsUsed records the scripts the package loaded, so a test can tell that
// every embedded file is in use.
var jsUsed = map[string]bool{}

// script returns js/<name>. A missing file is a programming error, found
// at init.
func script(name string) string {
	b, err := jsFS.ReadFile("js/" + name)
	if err != nil {
		panic("miniwob: " + err.Error())
	}
	jsUsed[name] = true
	return string(b)
}

// solver returns the solver body of an official task.
func solver(task string) string { return script("expert/solvers/" + task + ".js") }

var harnessJS = script("harness.js")

func eval[T any](ctx context.Context, js string, opts ...chromedp.EvaluateOption) (T, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[T](js, opts...))
}

// startMiniWoB starts an episode on a MiniWoB++ page the way its Python
// environment does (see the package comment). The seed is a number, as
// there: seedrandom mixes a number and its decimal string differently.
// The page's time-out is pushed out of reach, because a model thinks for
// longer than the 10 s a task allows a human; the step limit ends episodes
// instead, and the page's EPISODE_MAX_TIME still sets the reward decay.
// Tasks that load asynchronously (the flight tasks' frame) clear
// WOB_TASK_READY until they are ready; the start waits up to 3 s for it.
// The file holds the function; the call's arguments are formatted in.
var startMiniWoB = strings.TrimSuffix(script("start-miniwob.js"), "\n") + "(%d, %q)"

func (e *Env) startJS() string {
	if e.proto == protoMiniWoB {
		return fmt.Sprintf(startMiniWoB, e.seed, e.opts.DataMode)
	}
	// Our pages keep the seed string they were built with: their episodes
	// (and the datasets collected on them) stay as they were.
	s := strconv.Quote(strconv.FormatInt(e.seed, 10))
	return `(__wobH.resetIds(), wob.start(` + s + `), __wobH.begin(), true)`
}
