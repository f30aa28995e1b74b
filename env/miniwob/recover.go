// Running page operations within the step budget, and recovering from a
// crashed or hung browser by restarting it and replaying the episode.

package miniwob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/chromedp/chromedp"
)

// pageError is an exception thrown by page JavaScript, or an answer of the
// page that does not decode: a broken page, not a broken browser, so it is
// reported instead of recovered from.
func pageError(err error) bool {
	var ex *chromedp.ExceptionError
	var ut *json.UnmarshalTypeError
	var se *json.SyntaxError
	return errors.As(err, &ex) || errors.As(err, &ut) || errors.As(err, &se) ||
		errors.Is(err, chromedp.ErrJSUndefined) || errors.Is(err, chromedp.ErrJSNull)
}

// run executes f on the tab within the step budget.
func (e *Env) run(f func(ctx context.Context) error) error {
	if e.tab == nil {
		return errors.New("no tab")
	}
	ctx, cancel := context.WithTimeout(e.tab.ctx, e.opts.StepTimeout)
	defer cancel()
	// f normally honours ctx; the outer bound also covers a call stuck in
	// a dead connection.
	err := waitFor(e.opts.StepTimeout+time.Second, func() error { return f(ctx) })
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errTimeout) {
		return fmt.Errorf("step exceeded %v: %w", e.opts.StepTimeout, errTimeout)
	}
	return err
}

// browserFailure tells a broken or hung browser from an answer of the page.
func browserFailure(err error) bool {
	var inv invalidTarget
	return err != nil && !errors.As(err, &inv) && !pageError(err)
}

// do runs op on the tab; after a browser failure it recovers (restart and
// replay of the episode so far) and runs op once more.
func (e *Env) do(op func(ctx context.Context) error) error {
	err := e.run(op)
	if !browserFailure(err) {
		return err
	}
	if rerr := e.recover(); rerr != nil {
		return fmt.Errorf("%v; recovery: %w", err, rerr)
	}
	err = e.run(op)
	if browserFailure(err) {
		return fmt.Errorf("failed again after a browser restart: %w", err)
	}
	return err
}

// recover restarts the browser (unless another Env sharing it already did),
// opens a new tab and replays the episode so far from the seed and the
// applied actions. The replay must leave the episode running, as it was.
func (e *Env) recover() error {
	e.restarts++
	gen := 0
	if e.tab != nil {
		gen = e.tab.gen
		old := e.tab
		e.tab = nil
		go old.cancel() // the old tab belongs to a dead or hung browser
	}
	if err := e.reopenTab(gen); err != nil {
		return err
	}
	return e.run(func(ctx context.Context) error {
		if err := e.startEpisode(ctx); err != nil {
			return err
		}
		for i, a := range e.applied {
			// The play observed the page before each action: that lists
			// the elements a ref or a text names (js/harness.js byText).
			if _, err := e.list(ctx); err != nil {
				return fmt.Errorf("replay of step %d (%s): %w", i+1, a, err)
			}
			if err := e.apply(ctx, a); err != nil {
				return fmt.Errorf("replay of step %d (%s): %w", i+1, a, err)
			}
		}
		o, err := eval[view](ctx, `__wobH.observe(`+strconv.Quote(e.proto)+`)`)
		if err != nil {
			return err
		}
		if o.Done && e.started {
			return fmt.Errorf("replay ended the episode (%s), the page is not deterministic", o.Reason)
		}
		return nil
	})
}

// reopenTab restarts the browser if it is still generation gen (the one
// that failed) and opens the task tab on the new process.
//
// Another Env sharing the browser may restart it while this one opens its
// tab; then the tab is lost as well and one more round is needed.
// restart(gen) is a no-op when the generation moved on, so a failed open
// restarts the browser only if nobody else has meanwhile.
func (e *Env) reopenTab(gen int) error {
	if e.browser == nil {
		return ErrBrowserClosed
	}
	for attempt := 0; ; attempt++ {
		if err := e.browser.restart(gen); err != nil {
			return err
		}
		gen = e.browser.generation()
		err := e.openTab()
		if err == nil {
			return nil
		}
		if attempt == 2 {
			return err
		}
	}
}
