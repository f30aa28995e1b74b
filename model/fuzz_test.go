package model

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"vlmq/jsonfile"
)

// FuzzModelConfig feeds arbitrary bytes as config.json, the way LoadFS
// reads it (strict JSON). A config Validate accepts is within MaxParams,
// leaves room for text after the visual tokens, writes and reads back to
// itself, and, when small, builds a model with exactly ParamCount
// parameters. LoadFS of a folder holding the config beside a tiny model's
// tokenizer and weights fails with an error, or loads exactly those
// weights under exactly that config; it never allocates a model the
// weights cannot fill. Seeds: the shipped base's config.json, every
// preset, and the tiny model's own file.
//
// Longer: go test -run '^$' -fuzz=FuzzModelConfig -fuzztime=5m ./model
func FuzzModelConfig(f *testing.F) {
	if b, err := os.ReadFile("../models/vlmq-base/config.json"); err == nil {
		f.Add(b)
	} else {
		f.Logf("shipped config not found: %v", err)
	}
	m := tinyModel(f, 3)
	dir := filepath.Join(f.TempDir(), "tiny")
	if err := Save(dir, m); err != nil {
		f.Fatal(err)
	}
	files := fstest.MapFS{}
	for _, name := range []string{ConfigFile, TokenizerFile, WeightsFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatal(err)
		}
		files[name] = &fstest.MapFile{Data: b}
	}
	tinyJSON := files[ConfigFile].Data
	f.Add(tinyJSON)
	for _, p := range Presets() {
		c, _ := Preset(p)
		c.Vocab = m.Cfg.Vocab
		b, _ := json.Marshal(c)
		f.Add(b)
	}
	f.Add(bytes.Replace(tinyJSON, []byte(`"layers": 2`), []byte(`"layers": 100000000`), 1))
	f.Add(bytes.Replace(tinyJSON, []byte(`"mlp": 128`), []byte(`"mlp": 100000000000`), 1))
	f.Add(bytes.Replace(tinyJSON, []byte(`"heads": 2`), []byte(`"heads": 4`), 1))
	f.Add([]byte(`{"dim": 3}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		var cfg Config
		if err := jsonfile.Decode(data, &cfg, true); err == nil {
			checkConfig(t, cfg, m)
		}
		fsys := fstest.MapFS{ConfigFile: &fstest.MapFile{Data: data}, TokenizerFile: files[TokenizerFile], WeightsFile: files[WeightsFile]}
		got, err := LoadFS(fsys, "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "model:") {
				t.Fatalf("LoadFS error without context: %v", err)
			}
			return
		}
		if got.Cfg != cfg {
			t.Fatalf("loaded config %+v, the file says %+v", got.Cfg, cfg)
		}
		a, b := m.Params(), got.Params()
		if len(a) != len(b) {
			t.Fatalf("loaded %d tensors, saved %d", len(b), len(a))
		}
		for i := range a {
			if a[i].Name != b[i].Name || !slices.Equal(a[i].T.Data, b[i].T.Data) {
				t.Fatalf("tensor %s differs from the saved weights", b[i].Name)
			}
		}
	})
}

// checkConfig asserts what a decoded config must satisfy.
func checkConfig(t *testing.T, cfg Config, tiny *VLM) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		if !strings.HasPrefix(err.Error(), "model:") {
			t.Fatalf("Validate error without context: %v", err)
		}
		return
	}
	if n := cfg.ParamCount(); !(n > 0 && n <= MaxParams) {
		t.Fatalf("valid config with %v parameters (bound %d)", n, MaxParams)
	}
	if cfg.Patches() < 1 || cfg.MaxText() < 1 {
		t.Fatalf("valid config with %d patches and %d text positions", cfg.Patches(), cfg.MaxText())
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := jsonfile.Decode(b, &back, true); err != nil || back != cfg {
		t.Fatalf("config %+v written as %s reads back as %+v, %v", cfg, b, back, err)
	}
	// Small enough to build: New allocates exactly ParamCount values.
	if cfg.Vocab == tiny.Cfg.Vocab && cfg.ParamCount() <= 400_000 {
		m, err := New(cfg, tiny.Tok, 1)
		if err != nil {
			t.Fatalf("New refused a valid config %+v: %v", cfg, err)
		}
		if float64(m.NumParams()) != cfg.ParamCount() {
			t.Fatalf("config %+v: New made %d parameters, ParamCount says %v", cfg, m.NumParams(), cfg.ParamCount())
		}
	}
}

// TestLoadChecksSizeBeforeAllocating: a config.json edited to a far larger
// (still valid) model beside the small model's weights is refused before
// the large model is allocated.
func TestLoadChecksSizeBeforeAllocating(t *testing.T) {
	m := tinyModel(t, 3)
	dir := filepath.Join(t.TempDir(), "m")
	if err := Save(dir, m); err != nil {
		t.Fatal(err)
	}
	big := m.Cfg
	big.Layers = 2000 // about 44M parameters, 175 MB
	if err := big.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := jsonfile.Write(filepath.Join(dir, ConfigFile), big); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Load(dir)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "describes a model of") {
		t.Fatalf("err = %v", err)
	}
	if mb := float64(after.TotalAlloc-before.TotalAlloc) / 1e6; mb > 20 {
		t.Errorf("Load allocated %.0f MB before refusing", mb)
	}
}
