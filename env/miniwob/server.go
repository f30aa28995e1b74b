package miniwob

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

//go:embed tasks
var embedded embed.FS

// Tasks lists the task pages of our own suite, in a fixed order, named for
// the MiniWoB++ task each follows.
var Tasks = []string{
	"click-button", "click-link", "click-dialog-2", "enter-text", "focus-text-2",
	"login-user", "click-tab-2", "choose-list", "click-checkboxes", "click-option",
	"enter-password", "click-color",
}

// Aliases are the names our pages had before they were named for the
// MiniWoB++ task they follow (click-dialog asks for any of the dialog's
// buttons, as click-dialog-2 does; click-tab searches the tabs for a link,
// as click-tab-2). They still open the page, under the old name, so that
// results, datasets and commands that name them keep working. They apply
// to our suite only: a MiniWoB++ checkout has tasks of those names.
var Aliases = map[string]string{
	"click-dialog": "click-dialog-2",
	"click-tab":    "click-tab-2",
	"focus-text":   "focus-text-2",
}

// externalPrefixes are the folders, relative to Options.ExternalDir, where a
// MiniWoB++ checkout keeps its task pages (next to ../core/core.js).
var externalPrefixes = []string{"html/miniwob", "miniwob/html/miniwob", "miniwob"}

// ExternalTasks lists the task pages found in a MiniWoB++ checkout: every
// miniwob/<task>.html, and the flight tasks as flight.<site> (MiniWoB++'s
// names), one per flight/<site>/wrapper.html.
func ExternalTasks(dir string) ([]string, error) {
	prefix, err := externalPrefix(dir)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(filepath.Join(dir, prefix))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".html"); ok && !e.IsDir() && n != "index" {
			out = append(out, n)
		}
	}
	flights, _ := os.ReadDir(filepath.Join(dir, prefix, "..", "flight"))
	for _, f := range flights {
		if _, err := os.Stat(filepath.Join(dir, prefix, "..", "flight", f.Name(), "wrapper.html")); err == nil && f.IsDir() {
			out = append(out, flightPrefix+f.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// flightPrefix starts the names of MiniWoB++'s flight tasks.
const flightPrefix = "flight."

func isFlight(task string) bool { return strings.HasPrefix(task, flightPrefix) }

// externalPrefix finds the task folder: the first candidate that has a
// sibling core/core.js.
func externalPrefix(dir string) (string, error) {
	for _, p := range externalPrefixes {
		if _, err := os.Stat(filepath.Join(dir, p, "..", "core", "core.js")); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("miniwob: %s does not look like a MiniWoB++ checkout (no html/miniwob next to core/core.js)", dir)
}

// server serves task pages on loopback.
type server struct {
	srv  *http.Server
	base string // URL of the served root, ending in "/"
}

func startServer(fsys fs.FS) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("miniwob: listen: %w", err)
	}
	s := &server{
		srv:  &http.Server{Handler: http.FileServerFS(fsys), ReadHeaderTimeout: 10 * time.Second},
		base: "http://" + ln.Addr().String() + "/",
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "miniwob: task server: %v\n", err)
		}
	}()
	return s, nil
}

func (s *server) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// taskSource resolves a task name to a file system to serve, the page path
// inside it and the protocol the page speaks.
func taskSource(task, externalDir string) (fsys fs.FS, page, proto string, err error) {
	if task == "" || strings.ContainsAny(task, `/\`) || strings.Contains(task, "..") {
		return nil, "", "", fmt.Errorf("miniwob: bad task name %q", task)
	}
	if externalDir == "" {
		sub, err := fs.Sub(embedded, "tasks")
		if err != nil {
			return nil, "", "", err
		}
		if _, err := fs.Stat(sub, task+".html"); err != nil {
			return nil, "", "", fmt.Errorf("miniwob: unknown task %q (known: %s)", task, strings.Join(Tasks, ", "))
		}
		return sub, task + ".html", protoWob, nil
	}
	prefix, err := externalPrefix(externalDir)
	if err != nil {
		return nil, "", "", err
	}
	page = path.Join(prefix, task+".html")
	if isFlight(task) {
		page = path.Join(path.Dir(prefix), "flight", strings.TrimPrefix(task, flightPrefix), "wrapper.html")
	}
	if _, err := os.Stat(filepath.Join(externalDir, page)); err != nil {
		return nil, "", "", fmt.Errorf("miniwob: task %q not found in %s: %w", task, externalDir, err)
	}
	return os.DirFS(externalDir), page, protoMiniWoB, nil
}
