package jsonfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestWriteRead(t *testing.T) {
	type cfg struct {
		Name   string         `json:"name"`
		Layers int            `json:"layers"`
		Extra  map[string]int `json:"extra"`
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	in := cfg{"tiny", 4, map[string]int{"b": 2, "a": 1}}
	if err := Write(path, in); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	if err := Write(path, in); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if !bytes.Equal(first, second) || !bytes.Contains(first, []byte(`"a": 1,`)) {
		t.Fatalf("non-deterministic or unsorted output:\n%s", second)
	}
	var out cfg
	if err := ReadStrict(path, &out); err != nil || !reflect.DeepEqual(in, out) {
		t.Fatalf("%v %+v", err, out)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("leftover files: %v", ents)
	}
	if err := Write(path, map[string]any{"f": func() {}}); err == nil {
		t.Fatal("unencodable value accepted")
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, first) {
		t.Fatal("failed Write changed the file")
	}

	cases := []struct {
		name, text string
		strict     bool
		want       string
	}{
		{"unknown field strict", "{\n  \"name\": \"x\",\n  \"layerz\": 3\n}", true, `unknown field "layerz"`},
		{"syntax", "{\n  \"name\": \"x\",\n  \"layers\": 3,\n}", false, "line 4, column 1"},
		{"type", "{\n  \"layers\": \"four\"\n}", false, "line 2"},
		{"truncated", `{"name": "x"`, false, "truncated"},
		{"empty", ``, false, "empty JSON"},
		{"trailing", `{"name": "x"} {}`, false, "trailing data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.json")
			os.WriteFile(p, []byte(c.text), 0o644)
			var v cfg
			var err error
			if c.strict {
				err = ReadStrict(p, &v)
			} else {
				err = Read(p, &v)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("err = %v, want file name and %q", err, c.want)
			}
		})
	}
	// Lenient mode ignores the unknown field.
	p := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(p, []byte(`{"name":"x","layerz":3}`), 0o644)
	var v cfg
	if err := Read(p, &v); err != nil || v.Name != "x" {
		t.Fatalf("%v %+v", err, v)
	}
	if err := Read(filepath.Join(t.TempDir(), "none.json"), &v); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}
