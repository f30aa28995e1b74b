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
// WOB_REWARD_REASON. js/harness.js, injected into every document, lists the
// page's visible elements for both.
package miniwob

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
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

var _ env.Env = (*Env)(nil)
var _ env.Describer = (*Env)(nil)
