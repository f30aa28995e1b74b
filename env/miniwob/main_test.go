package miniwob

import (
	"fmt"
	"os"
	"testing"
)

// shared is one browser for the tests that do not test the browser's own
// life cycle; starting Chromium takes about a second.
var shared *Browser

// chromiumMissing explains why browser tests are skipped ("" if they run).
var chromiumMissing string

func TestMain(m *testing.M) {
	if _, err := os.Stat(DefaultChromium()); err != nil {
		chromiumMissing = fmt.Sprintf("chromium not installed at %s (set VLMQ_CHROMIUM): %v", DefaultChromium(), err)
		// CI sets VLMQ_REQUIRE_CHROMIUM: there the browser tests must run.
		if os.Getenv("VLMQ_REQUIRE_CHROMIUM") != "" {
			fmt.Fprintln(os.Stderr, "miniwob tests:", chromiumMissing, "but VLMQ_REQUIRE_CHROMIUM is set")
			os.Exit(1)
		}
	} else {
		b, err := NewBrowser("")
		if err != nil {
			fmt.Fprintln(os.Stderr, "miniwob tests:", err)
			os.Exit(1)
		}
		shared = b
	}
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.Exit(code)
}

func needChromium(t testing.TB) {
	t.Helper()
	if chromiumMissing != "" {
		t.Skip(chromiumMissing)
	}
}

// newEnv opens task on the shared browser and closes it with the test.
func newEnv(t testing.TB, task string, opts Options) *Env {
	t.Helper()
	needChromium(t)
	if opts.Browser == nil {
		opts.Browser = shared
	}
	e, err := New(task, opts)
	if err != nil {
		t.Fatalf("New(%q): %v", task, err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}
