// Package miniwob is a MiniWoB++-style web environment: small task pages
// (160x210 px, a 50 px instruction bar above a 160x160 task area) driven in
// headless Chromium through chromedp. It ships its own suite of task pages
// (Tasks) and can also drive the pages of a MiniWoB++ checkout
// (Options.ExternalDir) through the MiniWoB++ core API.
//
// Agents act with click(x,y), click(#id) (a DOM id or an element ref),
// click("text"), type("text"), type(#id,"text"), press(Key) and
// scroll(x,y,up|down). Episodes are seeded and deterministic given the seed
// and the actions, which is what lets an Env survive a browser crash: it
// restarts Chromium and replays the episode from its log.
//
// Page protocols. Our pages (tasks/*.html) load tasks/core/wob.js, which
// seeds its own PRNG from the seed string, exposes wob.start(seed),
// wob.instruction(), wob.truth() (ground truth for the scripted experts)
// and the globals WOB_DONE, WOB_REWARD, WOB_REASON. MiniWoB++ pages are
// run the way its Python environment runs them: the running episode is
// stopped with core.endEpisode(0), the seed is set with
// Math.seedrandom(<number>), the data mode with core.setDataMode, then
// core.startEpisodeReal() and a wait for WOB_TASK_READY; the outcome is read
// from WOB_DONE_GLOBAL, WOB_RAW_REWARD_GLOBAL, WOB_REWARD_GLOBAL and
// WOB_REWARD_REASON. harness.js, injected into every document, lists the
// page's visible elements for both.
package miniwob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"vlmq/env"
)

// Page protocols: our own (tasks/core/wob.js) and MiniWoB++'s core.js.
const (
	protoWob     = "wob"
	protoMiniWoB = "miniwob"
)

// Defaults for Options.
const (
	DefaultMaxSteps    = 10
	DefaultStepTimeout = 10 * time.Second
)

// Reward modes (Options.Reward).
const (
	// RewardRaw is the task's reward without time decay (MiniWoB++'s
	// raw_reward); partial rewards in (0,1) stay as they are.
	RewardRaw = "raw"
	// RewardDecayed is MiniWoB++'s default reward: a positive reward the
	// task gives time-proportionally is scaled by
	// max(0, 1 - elapsed/EPISODE_MAX_TIME). Elapsed is measured on an
	// episode clock that stops while the agent thinks (between an
	// observation and the next action), so it counts the time the episode
	// spends in the browser, not the model's speed.
	RewardDecayed = "decayed"
)

// Data modes (Options.DataMode), as core.setDataMode takes them.
const (
	DataTrain = "train"
	DataTest  = "test"
)

// TruncationReward is the reward of the step that hits MaxSteps without the
// page ending the episode: a failure, like MiniWoB++'s time-out.
const TruncationReward = -1.0

// Options configures an Env. The zero value is usable.
type Options struct {
	Syntax env.Syntax // zero value means env.DefaultSyntax()
	// SyntaxPenalty is the reward of an invalid reply; 0 means
	// env.DefaultSyntaxPenalty (-1). Set ZeroSyntaxPenalty for exactly 0.
	SyntaxPenalty     float64
	ZeroSyntaxPenalty bool
	MaxSteps          int           // steps per episode; 0 means DefaultMaxSteps
	ChromiumPath      string        // "" means DefaultChromium()
	ExternalDir       string        // a MiniWoB++ checkout; "" uses our suite
	StepTimeout       time.Duration // browser budget per step; 0 means DefaultStepTimeout
	// Reward is RewardRaw (the default) or RewardDecayed. Either way an
	// episode succeeds only with a raw reward of 1.
	Reward string
	// DataMode is the MiniWoB++ data mode, DataTrain (the default, as in
	// MiniWoB++'s environment) or DataTest; our own pages ignore it.
	DataMode string
	// MaxElements bounds the element lines of an observation; 0 means
	// DefaultMaxElements. The rest is replaced by a note.
	MaxElements int
	// Browser is shared with other Envs when set (the Env does not close
	// it); otherwise the Env starts and owns its own browser.
	Browser *Browser
}

// LogEntry records one step of the current episode.
type LogEntry struct {
	Reply  string  // the raw reply
	Action string  // canonical action, "" when the reply was invalid
	Reward float64 // reward of the step
	Reason string  // Info.Reason of the step
}

// DefaultMaxElements bounds the element list of an observation.
const DefaultMaxElements = 40

// Element is one visible element of the page, as MiniWoB++'s DOM info
// describes it, with its box clipped to the task area (pixels, x right, y
// down, origin at the top-left of the instruction bar). Layout containers
// without text of their own are left out.
type Element struct {
	Ref     int     `json:"ref"` // numbers the episode's elements in document order
	DOMID   string  `json:"id"`
	Tag     string  `json:"tag"` // lower-case tag; inputs as input_<type>
	Classes string  `json:"classes"`
	Text    string  `json:"text"` // the element's own text (placeholder or label for some inputs)
	X       int     `json:"x"`
	Y       int     `json:"y"`
	W       int     `json:"w"`
	H       int     `json:"h"`
	Checked *bool   `json:"checked,omitempty"`
	Value   *string `json:"value,omitempty"`
	Focused bool    `json:"focused,omitempty"`
	// ID is how actions name the element: its DOM id when that is a
	// usable, unique name, else its ref. Set by the Env.
	ID string `json:"-"`
}

// view is what the harness reports about the page.
type view struct {
	Done        bool      `json:"done"`
	Reward      float64   `json:"reward"` // raw reward (no time decay)
	Scaled      float64   `json:"scaled"` // MiniWoB++'s time-decayed reward
	Reason      string    `json:"reason"`
	Instruction string    `json:"instruction"`
	Elements    []Element `json:"elements"`
	Outside     int       `json:"outside"` // elements outside the task area
	MaxTime     float64   `json:"maxTime"` // the page's EPISODE_MAX_TIME, ms
}

// name sets every element's ID: the DOM id if it is a name the action
// syntax accepts, unique among the elements and not a number (which would
// read as a ref), else the ref.
func (v *view) name() {
	count := map[string]int{}
	for _, el := range v.Elements {
		count[el.DOMID]++
	}
	for i := range v.Elements {
		el := &v.Elements[i]
		id := el.DOMID
		if _, err := parseID("#" + id); err != nil || count[id] > 1 || isNumber(id) {
			id = strconv.Itoa(el.Ref)
		}
		el.ID = id
	}
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// Env is one MiniWoB-style task in one browser tab. Not safe for concurrent
// use.
type Env struct {
	task        string // the page's name
	name        string // the name it was opened by (an alias, or task)
	opts        Options
	penalty     float64
	proto       string
	url         string
	w, h        int // task area
	winW, winH  int // browser window
	srv         *server
	browser     *Browser
	ownsBrowser bool
	tab         *tab

	started, done bool
	seed          int64
	episode       int // counts Resets, so experts can tell episodes apart
	steps         int
	log           []LogEntry
	applied       []action // actions that reached the page, for replay
	obs           env.Observation
	view          view
	restarts      int

	// truthCache is the ground truth of episode truthEpisode (Facts).
	truthCache   map[string]any
	truthEpisode int
}

// New opens task (one of Tasks, or a page of opts.ExternalDir).
func New(task string, opts Options) (*Env, error) {
	name := task
	if c, ok := Aliases[task]; ok && opts.ExternalDir == "" {
		task = c
	}
	fsys, pagePath, proto, err := taskSource(task, opts.ExternalDir)
	if err != nil {
		return nil, err
	}
	if opts.Syntax.Marker == "" {
		opts.Syntax = env.DefaultSyntax()
	}
	if opts.MaxSteps < 0 || opts.StepTimeout < 0 {
		return nil, fmt.Errorf("miniwob: negative MaxSteps or StepTimeout")
	}
	if opts.MaxSteps == 0 {
		opts.MaxSteps = DefaultMaxSteps
	}
	if opts.StepTimeout == 0 {
		opts.StepTimeout = DefaultStepTimeout
	}
	switch opts.Reward {
	case "":
		opts.Reward = RewardRaw
	case RewardRaw, RewardDecayed:
	default:
		return nil, fmt.Errorf("miniwob: reward mode %q (want %s or %s)", opts.Reward, RewardRaw, RewardDecayed)
	}
	switch opts.DataMode {
	case "":
		opts.DataMode = DataTrain
	case DataTrain, DataTest:
	default:
		return nil, fmt.Errorf("miniwob: data mode %q (want %s or %s)", opts.DataMode, DataTrain, DataTest)
	}
	if opts.MaxElements < 0 {
		return nil, fmt.Errorf("miniwob: negative MaxElements")
	}
	if opts.MaxElements == 0 {
		opts.MaxElements = DefaultMaxElements
	}
	e := &Env{task: task, name: name, opts: opts, proto: proto,
		w: Width, h: Height, winW: WindowWidth, winH: WindowHeight}
	if isFlight(task) {
		e.w, e.h, e.winW, e.winH = FlightWidth, FlightHeight, FlightWindowWidth, FlightWindowHeight
	}
	e.penalty = env.Penalty(opts.SyntaxPenalty, opts.ZeroSyntaxPenalty)
	if e.srv, err = startServer(fsys); err != nil {
		return nil, err
	}
	e.url = e.srv.base + pagePath
	e.browser = opts.Browser
	if e.browser == nil {
		if e.browser, err = NewBrowser(opts.ChromiumPath); err != nil {
			e.srv.close()
			return nil, err
		}
		e.ownsBrowser = true
	}
	// Chromium may die (or be killed) between its launch and the first
	// tab, which is when a collector starts a chunk: a browser failure
	// here restarts it like one during an episode does.
	gen := e.browser.generation()
	if err := e.openTab(); err != nil {
		if !browserFailure(err) {
			e.Close()
			return nil, err
		}
		e.restarts++
		if rerr := e.reopenTab(gen); rerr != nil {
			e.Close()
			return nil, fmt.Errorf("%v; recovery: %w", err, rerr)
		}
	}
	return e, nil
}

// Name is "miniwob/<task>", with the task named as it was opened (an alias
// keeps its old name).
func (e *Env) Name() string { return "miniwob/" + e.name }

// Syntax is the reply syntax.
func (e *Env) Syntax() env.Syntax { return e.opts.Syntax }

// Log returns a copy of the current episode's step log.
func (e *Env) Log() []LogEntry { return append([]LogEntry(nil), e.log...) }

// Restarts counts the browser recoveries this Env went through.
func (e *Env) Restarts() int { return e.restarts }

// Size is the task area, the size of the observation images.
func (e *Env) Size() (w, h int) { return e.w, e.h }

// Elements returns the visible elements of the last observation.
func (e *Env) Elements() []Element { return append([]Element(nil), e.view.Elements...) }

// Instruction is the current episode's instruction.
func (e *Env) Instruction() string { return e.view.Instruction }

// Close closes the tab, the task server and, if the Env owns it, the browser.
func (e *Env) Close() error {
	if e.tab != nil {
		e.tab.close()
		e.tab = nil
	}
	var err error
	if e.srv != nil {
		err = e.srv.close()
		e.srv = nil
	}
	if e.ownsBrowser && e.browser != nil {
		err = errors.Join(err, e.browser.Close())
		e.browser = nil
	}
	return err
}

// openTab opens a fresh tab on the task page, in a window of MiniWoB++'s
// size, with the harness injected and told the task area.
func (e *Env) openTab() error {
	if e.browser == nil {
		return ErrBrowserClosed
	}
	t, err := e.browser.newTab(
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument,
				page.AddScriptToEvaluateOnNewDocumentParams{Source: harnessJS +
					fmt.Sprintf("\n__wobH.setArea(%d,%d);", e.w, e.h)})
			return err
		}),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetDeviceMetricsOverride,
				emulation.SetDeviceMetricsOverrideParams{Width: int64(e.winW), Height: int64(e.winH), DeviceScaleFactor: 1})
			return err
		}),
		chromedp.Navigate(e.url),
	)
	if err != nil {
		return fmt.Errorf("miniwob: open %s: %w", e.url, err)
	}
	e.tab = t
	return nil
}

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

// invalidTarget is an action naming an element that is not there.
type invalidTarget struct{ msg string }

func (i invalidTarget) Error() string { return i.msg }

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

// startEpisode (re)starts the current seed's episode on the loaded page.
func (e *Env) startEpisode(ctx context.Context) error {
	_, err := eval[bool](ctx, e.startJS(), chromedp.EvalAwaitPromise)
	return err
}

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
// from the text (see harness.js setDate).
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

// observe reads the page state and takes the screenshot. MiniWoB++ pages
// are let settle first (harness.js settle): they load icons and run
// animations that our pages do not have.
func (e *Env) observe(ctx context.Context) (view, *image.RGBA, error) {
	if e.proto == protoMiniWoB {
		if _, err := eval[bool](ctx, `__wobH.settle()`, chromedp.EvalAwaitPromise); err != nil {
			return view{}, nil, err
		}
	}
	v, err := eval[view](ctx, `__wobH.observe(`+strconv.Quote(e.proto)+`)`)
	if err != nil {
		return view{}, nil, err
	}
	v.name()
	img, err := screenshot(ctx, e.w, e.h)
	return v, img, err
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

// RandomValid returns a random action that parses and targets something on
// the page: mostly clicks on listed elements, sometimes a random point, some
// typing or a key press.
func (e *Env) RandomValid(rng *rand.Rand) string {
	els := e.view.Elements
	switch r := rng.IntN(10); {
	case r < 6 && len(els) > 0:
		return action{kind: clickID, arg: els[rng.IntN(len(els))].ID}.String()
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

// Facts states what is visible in the current view.
func (e *Env) Facts() []env.QA {
	var buttons, fields []string
	focus := "none"
	for _, el := range e.view.Elements {
		switch el.Tag {
		case "button", "input_button", "input_submit":
			buttons = append(buttons, strconv.Quote(el.Text))
		case "input_text", "input_password", "textarea":
			fields = append(fields, "#"+el.ID)
		}
		if el.Focused {
			focus = "#" + el.ID
		}
	}
	list := func(xs []string) string {
		if len(xs) == 0 {
			return "none"
		}
		return strings.Join(xs, ", ")
	}
	qa := []env.QA{
		{Question: "What does the instruction say?", Answer: e.view.Instruction},
		{Question: "What buttons are visible?", Answer: list(buttons)},
		{Question: "Which text fields are visible?", Answer: list(fields)},
		{Question: "Which element has the focus?", Answer: focus},
		{Question: "How many elements are listed?", Answer: strconv.Itoa(min(len(e.view.Elements), e.opts.MaxElements))},
	}
	// Which element carries a label, and where it is: what an agent needs
	// to click the right thing (asked only of labels that name one element).
	labels := map[string]int{}
	for _, el := range e.view.Elements {
		labels[el.Text]++
	}
	for _, el := range e.view.Elements {
		if t := strings.TrimSpace(el.Text); t != "" && len(t) <= 40 && labels[el.Text] == 1 {
			qa = append(qa,
				env.QA{Question: fmt.Sprintf("Which element says %q?", t), Answer: "#" + el.ID},
				env.QA{Question: fmt.Sprintf("Where is the centre of %q?", t), Answer: fmt.Sprintf("%d,%d", el.X+el.W/2, el.Y+el.H/2)})
		}
		if el.Value != nil {
			v := *el.Value
			if v == "" {
				v = "nothing"
			}
			qa = append(qa, env.QA{Question: fmt.Sprintf("What does #%s hold?", el.ID), Answer: v})
		}
		if el.Checked != nil {
			qa = append(qa, env.QA{Question: fmt.Sprintf("Is #%s checked?", el.ID), Answer: yesNo(*el.Checked)})
		}
		if t := strings.TrimSpace(el.Text); t == "" || len(t) > 40 || labels[el.Text] != 1 {
			// Elements without a label of their own (text fields, boxes)
			// are found by their ref.
			qa = append(qa, env.QA{Question: fmt.Sprintf("Where is the centre of #%s?", el.ID), Answer: fmt.Sprintf("%d,%d", el.X+el.W/2, el.Y+el.H/2)})
		}
	}
	return append(qa, e.instructionFacts()...)
}

// instructionFacts asks what the instruction says to copy or act on: each
// quoted text, word for word; the element (or, in click-checkboxes, the
// elements) it names, when listed; and for our typing tasks, what each
// field should hold. Our pages name their targets in their ground truth
// (read once per episode); on MiniWoB++ pages the named element is the one
// listed element whose text is the instruction's only quoted text.
func (e *Env) instructionFacts() []env.QA {
	var qa []env.QA
	quotes := instructionQuotes(e.view.Instruction)
	for i, q := range quotes {
		qa = append(qa, env.QA{Question: fmt.Sprintf("What does quote %d of the instruction say?", i+1), Answer: q})
	}
	byDOM := map[string]string{} // DOM id to the ref actions use
	for _, el := range e.view.Elements {
		if el.DOMID != "" {
			byDOM[el.DOMID] = "#" + el.ID
		}
	}
	if e.proto != protoWob {
		if len(quotes) == 1 {
			var named []string
			for _, el := range e.view.Elements {
				if strings.TrimSpace(el.Text) == quotes[0] {
					named = append(named, "#"+el.ID)
				}
			}
			if len(named) == 1 {
				qa = append(qa, env.QA{Question: "Which element does the instruction name?", Answer: named[0]})
			}
		}
		return qa
	}
	truth, err := e.episodeTruth()
	if err != nil {
		// The page could not say (its browser failed twice): the view
		// keeps its other facts.
		return qa
	}
	if id, _ := truth["id"].(string); byDOM[id] != "" {
		qa = append(qa, env.QA{Question: "Which element does the instruction name?", Answer: byDOM[id]})
	}
	if ids, ok := truth["ids"].([]any); ok {
		var named []string
		for _, id := range ids {
			s, _ := id.(string)
			if byDOM[s] == "" {
				named = nil // not all listed: the answer is not in view
				break
			}
			named = append(named, byDOM[s])
		}
		if len(named) == len(ids) {
			a := "none"
			if len(named) > 0 {
				a = strings.Join(named, ", ")
			}
			qa = append(qa, env.QA{Question: "Which elements does the instruction name?", Answer: a})
		}
	}
	if fields, _, ok := typedFields(e.task, truth); ok {
		for _, f := range fields {
			if ref := byDOM[f[0]]; ref != "" && f[1] != "" {
				qa = append(qa, env.QA{Question: fmt.Sprintf("What should you type into %s?", ref), Answer: f[1]})
			}
		}
	}
	return qa
}

// episodeTruth is the page's ground truth, read once per episode.
func (e *Env) episodeTruth() (map[string]any, error) {
	if e.truthEpisode == e.episode && e.truthCache != nil {
		return e.truthCache, nil
	}
	t, err := e.truth()
	if err != nil {
		return nil, err
	}
	e.truthCache, e.truthEpisode = t, e.episode
	return t, nil
}

// instructionQuotes are the non-empty texts between double quotes in an
// instruction, in order.
func instructionQuotes(ins string) []string {
	var out []string
	for _, m := range quoteRe.FindAllStringSubmatch(ins, -1) {
		if t := strings.TrimSpace(m[1]); t != "" {
			out = append(out, t)
		}
	}
	return out
}

var quoteRe = regexp.MustCompile(`"([^"]*)"`)

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// truth returns the page's ground truth for experts (our suite only).
func (e *Env) truth() (map[string]any, error) {
	if e.proto != protoWob {
		return nil, fmt.Errorf("miniwob: no ground truth for external task %s", e.task)
	}
	var raw string
	err := e.do(func(ctx context.Context) error {
		var err error
		raw, err = eval[string](ctx, `JSON.stringify(wob.truth())`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("miniwob: read ground truth: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("miniwob: ground truth %q: %w", raw, err)
	}
	return m, nil
}

var _ env.Env = (*Env)(nil)
var _ env.Describer = (*Env)(nil)
