// Executing the actions that action.go parses: clicks, typing, key presses
// and scrolls, through the page harness or as browser input events.

package miniwob

import (
	"context"
	"fmt"
	"image"
	"strconv"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// invalidTarget is an action naming an element that is not there.
type invalidTarget struct{ msg string }

func (i invalidTarget) Error() string { return i.msg }

// harnessAnswer is what the harness's target and setDate return.
type harnessAnswer struct {
	X, Y    float64
	Handled bool
	Err     string
}

// apply performs one action. It returns invalidTarget when the action names
// an element that is not on the page (the page is then unchanged).
func (e *Env) apply(ctx context.Context, a action) error {
	// The episode clock runs again while the action plays out.
	if _, err := eval[bool](ctx, `(__wobH.resume(), true)`); err != nil {
		return err
	}
	switch a.kind {
	case clickXY:
		return chromedp.Do(ctx, chromedp.MouseClickXY(a.x, a.y))
	case clickID, clickText:
		return e.click(ctx, a.arg, a.kind == clickText)
	case typeText:
		return e.typeText(ctx, a.arg)
	case focusType:
		if err := e.click(ctx, a.elem, false); err != nil {
			return err
		}
		return e.typeText(ctx, a.arg)
	case pressKey:
		return pressNamed(ctx, a.arg)
	case scroll:
		dy := 50.0 // MiniWoB++'s scroll amount
		if !a.down {
			dy = -dy
		}
		return chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			// Raw parameters: the typed ones omit a zero deltaX, which
			// Chromium requires for a wheel event.
			err := t.Call(ctx, input.CommandDispatchMouseEvent, map[string]any{
				"type": input.DispatchMouseEventTypeMouseWheel, "x": a.x, "y": a.y, "deltaX": 0, "deltaY": dy}, nil)
			if err != nil {
				return err
			}
			// The wheel scrolls asynchronously: wait two frames for it.
			_, err = chromedp.Evaluate[bool](`__wobH.frames(2)`, chromedp.EvalAwaitPromise)(ctx, t)
			return err
		}))
	}
	return fmt.Errorf("miniwob: unknown action kind %d", a.kind)
}

// click clicks the element named by key (an id or ref, or its text).
func (e *Env) click(ctx context.Context, key string, byText bool) error {
	js := `__wobH.target(` + strconv.Quote(key) + `,` + strconv.FormatBool(byText) + `)`
	return harnessOr(ctx, js, func(t harnessAnswer) chromedp.Action[chromedp.Void] { return chromedp.MouseClickXY(t.X, t.Y) })
}

// harnessOr asks the page harness to act (js answers a harnessAnswer); an
// answer's Err is an invalid target, and unless the harness handled the
// action itself, the browser performs the fallback built from the answer.
func harnessOr(ctx context.Context, js string, fallback func(harnessAnswer) chromedp.Action[chromedp.Void]) error {
	t, err := eval[harnessAnswer](ctx, js)
	if err != nil {
		return err
	}
	if t.Err != "" {
		return invalidTarget{t.Err}
	}
	if t.Handled {
		return nil
	}
	return chromedp.Do(ctx, fallback(t))
}

// typeText types text into the focused element as key strokes (pages
// listen to key events), except that a focused date or time input is set
// from the text (see js/harness.js setDate).
func (e *Env) typeText(ctx context.Context, text string) error {
	return harnessOr(ctx, `__wobH.setDate(`+strconv.Quote(text)+`)`, func(harnessAnswer) chromedp.Action[chromedp.Void] { return chromedp.KeyEvent(text) })
}

// pressNamed presses the key with canonical name; editing shortcuts are
// sent with their editing command.
func pressNamed(ctx context.Context, name string) error {
	for _, k := range keys {
		if k.name != name {
			continue
		}
		if !editCommands[name] {
			return chromedp.Do(ctx, chromedp.KeyEvent(k.code))
		}
		letter := strings.ToLower(name[len(name)-1:])
		return chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeRawKeyDown, Key: letter, Code: "Key" + strings.ToUpper(letter),
				Modifiers: 2, WindowsVirtualKeyCode: int64(letter[0] - 'a' + 'A'), Commands: []string{k.code}}
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, down); err != nil {
				return err
			}
			up := down
			up.Type, up.Commands = input.DispatchKeyEventTypeKeyUp, nil
			_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, up)
			return err
		}))
	}
	return invalidTarget{"unknown key " + name}
}

// act applies a to the page and observes the result.
func (e *Env) act(a action) (view, *image.RGBA, error) {
	var v view
	var img *image.RGBA
	op := func(ctx context.Context) error {
		if err := e.apply(ctx, a); err != nil {
			return err
		}
		var err error
		v, img, err = e.observe(ctx)
		return err
	}
	err := e.do(op)
	return v, img, err
}
