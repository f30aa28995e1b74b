package miniwob

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

// TestEmbeddedScripts checks that every file under js/ is loaded by the
// package and not empty, and that Chromium compiles each one alone and as
// the package composes it (the episode start, the harness with its area,
// every official solver inside its prelude). Compiling, not running: a
// syntax error in a solver would otherwise show only when its task runs.
func TestEmbeddedScripts(t *testing.T) {
	var files []string
	err := fs.WalkDir(jsFS, "js", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, strings.TrimPrefix(p, "js/"))
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no embedded scripts: %v", err)
	}
	srcs := map[string]string{}
	for _, f := range files {
		b, _ := jsFS.ReadFile("js/" + f)
		if strings.TrimSpace(string(b)) == "" {
			t.Errorf("%s is empty", f)
		}
		if !jsUsed[f] {
			t.Errorf("%s is embedded but never loaded", f)
		}
		srcs[f] = string(b)
	}
	srcs["composed: start"] = fmt.Sprintf(startMiniWoB, 7, DataTrain)
	srcs["composed: harness"] = harnessJS + fmt.Sprintf("\n__wobH.setArea(%d,%d);", Width, Height)
	for _, task := range OfficialExpertTasks() {
		srcs["composed: solver "+task] = officialJS(officialSolvers[task], 1, Width, Height)
	}

	e := newEnv(t, "click-button", Options{})
	for name, src := range srcs {
		q, _ := json.Marshal(src)
		var msg string
		err := e.run(func(ctx context.Context) error {
			var err error
			msg, err = eval[string](ctx, `(function(s){ try { new Function(s); return ""; } catch (x) { return String(x); } })(`+string(q)+`)`)
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if msg != "" {
			t.Errorf("%s does not compile: %s", name, msg)
		}
	}
}
