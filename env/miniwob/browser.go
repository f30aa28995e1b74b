package miniwob

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

// DefaultChromium is the browser used when no path is given: $VLMQ_CHROMIUM
// if set, else Debian's /usr/bin/chromium.
func DefaultChromium() string {
	if p := os.Getenv("VLMQ_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// ErrBrowserClosed is returned by a Browser (and its Envs) after Close.
var ErrBrowserClosed = errors.New("miniwob: browser closed")

// launchTimeout bounds starting Chromium and opening a tab; a loaded 2-core
// machine can take several seconds.
const launchTimeout = 30 * time.Second

// Browser is one headless Chromium process. Several Envs may share it, each
// in its own tab. It can be restarted after a crash or hang; every tab dies
// with the old process, and each Env notices that on its next step and
// reopens its tab (see Env.recover). Safe for concurrent use.
type Browser struct {
	path string

	mu          sync.Mutex
	allocCancel context.CancelFunc
	root        context.Context // chromedp context owning the process
	rootCancel  context.CancelFunc
	gen         int    // increments on every (re)start
	tmp         string // this launch's profile and TMPDIR, removed at shutdown
	closed      bool
}

// NewBrowser starts Chromium at path ("" means DefaultChromium()).
func NewBrowser(path string) (*Browser, error) {
	if path == "" {
		path = DefaultChromium()
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("miniwob: chromium not found: %w", err)
	}
	b := &Browser{path: path}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.launchLocked(); err != nil {
		return nil, err
	}
	return b, nil
}

// flags are the project's Chromium switches plus the ones chromedp's
// defaults add for stable automation. Every launch gets its own folder tmp
// for the profile (--user-data-dir) and as Chromium's TMPDIR: a killed
// Chromium leaves its process-singleton socket folder behind in TMPDIR
// (measured: one /tmp/org.chromium.Chromium.* per launch), and removing tmp
// at shutdown takes it along.
func (b *Browser) flags(tmp string) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(b.path),
		chromedp.UserDataDir(filepath.Join(tmp, "profile")),
		chromedp.Headless, // also hide-scrollbars, mute-audio
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-frame-rate-limit", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.Flag("password-store", "basic"),
	}
	// The socket path (tmp + "/org.chromium.Chromium.XXXXXX/SingletonSocket")
	// must fit a Unix socket address (108 bytes) or Chromium refuses to
	// start; under a very long TMPDIR we accept the leftover instead.
	if len(tmp) <= maxSocketDir {
		opts = append(opts, chromedp.Env("TMPDIR="+tmp))
	}
	return opts
}

// maxSocketDir leaves room for Chromium's 45-byte singleton socket suffix.
const maxSocketDir = 60

// launchAttempts bounds the launches of one start or restart: a Chromium
// that dies while it starts (killed, or crashed on a loaded machine) is
// started again, as a crash of a running one is.
const launchAttempts = 3

// launchLocked starts Chromium, again after a launch whose process died;
// a launch that hangs past launchTimeout is not retried.
func (b *Browser) launchLocked() error {
	var err error
	for attempt := 1; attempt <= launchAttempts; attempt++ {
		if err = b.launchOnceLocked(); err == nil || errors.Is(err, errTimeout) {
			return err
		}
	}
	return fmt.Errorf("%w (%d attempts)", err, launchAttempts)
}

func (b *Browser) launchOnceLocked() error {
	tmp, err := os.MkdirTemp("", "vlmq-chromium-")
	if err != nil {
		return fmt.Errorf("miniwob: browser temp dir: %w", err)
	}
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), b.flags(tmp)...)
	// Lost-connection write errors after a crash are expected and handled
	// by the Envs; keep them off the process log.
	root, rootCancel := chromedp.NewContext(allocCtx,
		chromedp.WithBrowserOption(chromedp.WithBrowserErrorf(func(string, ...any) {})))
	// The first Run starts the process and must not carry a timeout (that
	// would bound the browser's life), so the wait is bounded here instead.
	err = waitFor(launchTimeout, func() error { return chromedp.Do(root) })
	if err != nil {
		rootCancel()
		allocCancel()
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("miniwob: start chromium %s: %w", b.path, err)
	}
	b.root, b.rootCancel, b.allocCancel, b.tmp = root, rootCancel, allocCancel, tmp
	b.gen++
	return nil
}

// errTimeout marks an operation that did not finish within its budget.
var errTimeout = errors.New("timed out")

// waitFor runs f and gives up after d. On a timeout f keeps running in the
// background until the browser it waits on is killed.
func waitFor(d time.Duration, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return errTimeout
	}
}

// shutdownLocked kills the process (no graceful close: it may be hung) and
// waits until chromedp has reaped it and removed its data dir.
func (b *Browser) shutdownLocked() {
	if b.root == nil {
		return
	}
	if c := chromedp.FromContext(b.root); c != nil && c.Browser != nil {
		if p := c.Browser.Process(); p != nil {
			p.Kill()
		}
	}
	b.rootCancel()
	b.allocCancel() // returns once the process is reaped
	_ = os.RemoveAll(b.tmp)
	b.root, b.rootCancel, b.allocCancel, b.tmp = nil, nil, nil, ""
}

// restart replaces the process if it is still generation gen; when another
// Env already restarted it, restart does nothing.
func (b *Browser) restart(gen int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrBrowserClosed
	}
	if b.gen != gen && b.root != nil {
		return nil
	}
	b.shutdownLocked()
	return b.launchLocked()
}

// generation is the number of the running process (1 for the first).
func (b *Browser) generation() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.gen
}

// tab is one browser tab owned by an Env.
type tab struct {
	ctx    context.Context
	cancel context.CancelFunc
	gen    int
}

// newTab opens a tab, runs setup in it (bounded by launchTimeout) and
// returns it with the browser generation it belongs to.
func (b *Browser) newTab(setup ...chromedp.Action[chromedp.Void]) (*tab, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, ErrBrowserClosed
	}
	root, gen := b.root, b.gen
	b.mu.Unlock()
	if root == nil {
		return nil, fmt.Errorf("miniwob: browser is not running")
	}
	ctx, cancel := chromedp.NewContext(root)
	// As with the browser, the tab lives as long as its first Run's context,
	// so that Run gets the tab context itself and the wait is bounded here.
	if err := waitFor(launchTimeout, func() error { return chromedp.Do(ctx, setup...) }); err != nil {
		go cancel() // closing a tab of a dead browser can block; do not wait
		return nil, err
	}
	return &tab{ctx: ctx, cancel: cancel, gen: gen}, nil
}

// close closes the tab without blocking on a dead browser for long.
func (t *tab) close() {
	waitFor(5*time.Second, func() error { t.cancel(); return nil })
}

// Process returns the running Chromium process (for tests and monitoring).
func (b *Browser) Process() *os.Process {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.root == nil {
		return nil
	}
	if c := chromedp.FromContext(b.root); c != nil && c.Browser != nil {
		return c.Browser.Process()
	}
	return nil
}

// Restarts reports how many times the process has been replaced.
func (b *Browser) Restarts() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.gen - 1
}

// Close stops Chromium and removes its data dir. Envs sharing the browser
// fail with ErrBrowserClosed afterwards.
func (b *Browser) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	b.shutdownLocked()
	return nil
}
