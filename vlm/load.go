package vlm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// ConfigFile is the file every model folder has; its contents tell the
// formats apart.
const ConfigFile = "config.json"

// Format is a kind of model folder a package can load.
type Format struct {
	Name string
	// Match reports whether config.json's contents belong to this format.
	Match func(config []byte) bool
	Load  func(dir string) (Model, error)
}

var (
	mu      sync.RWMutex
	formats []Format
)

// Register adds a format; model packages call it from init, so importing
// a model package makes its folders loadable.
func Register(f Format) {
	mu.Lock()
	defer mu.Unlock()
	formats = append(formats, f)
}

// ErrNotModel is wrapped when a folder's config.json matches no format.
var ErrNotModel = errors.New("not a model folder of a known format")

// Load reads a model folder of any registered format, chosen by its
// config.json. It only reads (so it works from read-only storage and never
// touches a writer's temp folders).
func Load(dir string) (Model, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("vlm: no model folder: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("vlm: %s is not a model folder", dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, fmt.Errorf("vlm: %w", err)
	}
	mu.RLock()
	fs := append([]Format(nil), formats...)
	mu.RUnlock()
	var names []string
	for _, f := range fs {
		if f.Match(b) {
			return f.Load(dir)
		}
		names = append(names, f.Name)
	}
	return nil, fmt.Errorf("vlm: %s: %w (registered: %v)", dir, ErrNotModel, names)
}
