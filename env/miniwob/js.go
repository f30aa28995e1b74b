// JavaScript run in the page: evaluation and the episode start scripts.

package miniwob

import (
	"context"
	"fmt"
	"strconv"

	"github.com/chromedp/chromedp"
)

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
const startMiniWoB = `(async function(seed, mode){
  if (typeof core === "undefined" || typeof core.startEpisodeReal !== "function") throw new Error("no MiniWoB++ core on the page");
  __wobH.resetIds();
  if (!core.cover_div) core.startEpisode();
  core.endEpisode(0);
  Math.seedrandom(seed);
  if (core.setDataMode) core.setDataMode(mode);
  core.startEpisodeReal();
  if (core.EP_TIMER !== null) {
    clearTimeout(core.EP_TIMER);
    core.EP_TIMER = setTimeout(function(){ core.endEpisode(-1, false, "timed out"); }, 2000000000);
  }
  var ready = function(){ return typeof WOB_TASK_READY === "undefined" || WOB_TASK_READY; };
  for (var i = 0; i < 60 && !ready(); i++) await new Promise(function(r){ setTimeout(r, 50); });
  if (!ready()) throw new Error("task not ready 3 s after the start");
  __wobH.begin();
  return true;
})(%d, %q)`

func (e *Env) startJS() string {
	if e.proto == protoMiniWoB {
		return fmt.Sprintf(startMiniWoB, e.seed, e.opts.DataMode)
	}
	// Our pages keep the seed string they were built with: their episodes
	// (and the datasets collected on them) stay as they were.
	s := strconv.Quote(strconv.FormatInt(e.seed, 10))
	return `(__wobH.resetIds(), wob.start(` + s + `), __wobH.begin(), true)`
}
