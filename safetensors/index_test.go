package safetensors

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"vlmq/jsonfile"
)

func modelFile() *File {
	f := &File{Tensors: map[string]Tensor{}, Metadata: map[string]string{"format": "pt"}}
	for i, name := range []string{"embed.weight", "layers.0.w", "layers.1.w", "layers.2.w", "norm.weight"} {
		data := make([]float32, 4*(i+1))
		for j := range data {
			data[j] = float32(i*100 + j)
		}
		f.Tensors[name] = FromFloat32([]int{i + 1, 4}, data)
	}
	return f
}

func sameTensors(t *testing.T, got, want *File) {
	t.Helper()
	if !reflect.DeepEqual(got.Names(), want.Names()) {
		t.Fatalf("names %v, want %v", got.Names(), want.Names())
	}
	for n, w := range want.Tensors {
		g := got.Tensors[n]
		if g.DType != w.DType || !reflect.DeepEqual(g.Shape, w.Shape) || !bytes.Equal(g.Data, w.Data) {
			t.Fatalf("tensor %s differs", n)
		}
	}
}

func TestShardedRoundTrip(t *testing.T) {
	f := modelFile()
	for _, max := range []int64{0, 1 << 20, 40, 1} {
		dir := t.TempDir()
		if err := WriteSharded(dir, f, max); err != nil {
			t.Fatal(err)
		}
		_, ixErr := os.Stat(filepath.Join(dir, IndexFileName))
		sharded := ixErr == nil
		if sharded != (max == 40 || max == 1) {
			t.Fatalf("max %d: index present = %v", max, sharded)
		}
		if sharded {
			ix, err := ReadIndex(filepath.Join(dir, IndexFileName))
			if err != nil {
				t.Fatal(err)
			}
			if max == 1 && len(ix.Shards()) != len(f.Tensors) {
				t.Fatalf("max 1 gave %d shards", len(ix.Shards()))
			}
			for _, s := range ix.Shards() {
				g, err := Read(filepath.Join(dir, s))
				if err != nil {
					t.Fatal(err)
				}
				var size int64
				for _, tt := range g.Tensors {
					size += int64(len(tt.Data))
				}
				if size > max && len(g.Tensors) > 1 {
					t.Fatalf("shard %s holds %d bytes > %d", s, size, max)
				}
			}
		}
		g, err := ReadIndexed(dir)
		if err != nil {
			t.Fatal(err)
		}
		sameTensors(t, g, f)
		if g.Metadata["format"] != "pt" {
			t.Fatalf("metadata %v", g.Metadata)
		}
		h, err := ReadFolderHeader(dir)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range f.Tensors {
			ti := h.Tensors[name]
			if ti.DType != want.DType || !reflect.DeepEqual(ti.Shape, want.Shape) {
				t.Fatalf("header of %s: %+v", name, ti)
			}
			if got, err := Read(filepath.Join(dir, h.Files[name])); err != nil || !bytes.Equal(got.Tensors[name].Data, want.Data) {
				t.Fatalf("%s not found in the file %s the header names", name, h.Files[name])
			}
		}
	}
}

func TestResaveReplacesLayout(t *testing.T) {
	dir := t.TempDir()
	f := modelFile()
	if err := WriteSharded(dir, f, 40); err != nil {
		t.Fatal(err)
	}
	// Save again, smaller and unsharded: the reader must see the new file.
	g := &File{Tensors: map[string]Tensor{"only": FromFloat32([]int{1}, []float32{7})}}
	if err := WriteSharded(dir, g, 0); err != nil {
		t.Fatal(err)
	}
	got, err := ReadIndexed(dir)
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, got, g)
	// And back to sharded: the index wins over the leftover single file.
	if err := WriteSharded(dir, f, 40); err != nil {
		t.Fatal(err)
	}
	got, err = ReadIndexed(dir)
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, got, f)
}

func TestReadIndexedErrors(t *testing.T) {
	f := modelFile()
	setup := func(t *testing.T) string {
		dir := t.TempDir()
		if err := WriteSharded(dir, f, 100); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	editIndex := func(t *testing.T, dir string, edit func(*Index)) {
		ix, err := ReadIndex(filepath.Join(dir, IndexFileName))
		if err != nil {
			t.Fatal(err)
		}
		edit(ix)
		if err := jsonfile.Write(filepath.Join(dir, IndexFileName), ix); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		mod  func(t *testing.T, dir string)
		want string
	}{
		{"extra name in index", func(t *testing.T, dir string) {
			editIndex(t, dir, func(ix *Index) { ix.WeightMap["ghost"] = ix.WeightMap["norm.weight"] })
		}, `"ghost"`},
		{"tensor not in index", func(t *testing.T, dir string) {
			editIndex(t, dir, func(ix *Index) { delete(ix.WeightMap, "layers.1.w") })
		}, `tensor "layers.1.w" is not listed`},
		{"wrong shard", func(t *testing.T, dir string) {
			editIndex(t, dir, func(ix *Index) {
				ix.WeightMap["norm.weight"], ix.WeightMap["embed.weight"] = ix.WeightMap["embed.weight"], ix.WeightMap["norm.weight"]
			})
		}, "is listed under shard"},
		{"path escape", func(t *testing.T, dir string) {
			editIndex(t, dir, func(ix *Index) { ix.WeightMap["norm.weight"] = "../evil.safetensors" })
		}, "not a file name"},
		{"missing shard file", func(t *testing.T, dir string) {
			ix, _ := ReadIndex(filepath.Join(dir, IndexFileName))
			os.Remove(filepath.Join(dir, ix.Shards()[1]))
		}, "no such file"},
		{"corrupt shard", func(t *testing.T, dir string) {
			ix, _ := ReadIndex(filepath.Join(dir, IndexFileName))
			p := filepath.Join(dir, ix.Shards()[0])
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-3], 0o644)
		}, "exceed the"},
		{"broken index json", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, IndexFileName), []byte(`{"weight_map": {"a": }`), 0o644)
		}, "invalid JSON at line 1"},
		{"empty weight map", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, IndexFileName), []byte(`{"metadata": {}}`), 0o644)
		}, "weight_map is missing"},
		{"empty folder", func(t *testing.T, dir string) {
			os.RemoveAll(dir)
			os.Mkdir(dir, 0o755)
		}, "has neither"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := setup(t)
			c.mod(t, dir)
			_, err := ReadIndexed(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want mention of %q", err, c.want)
			}
			_, err = ReadFolderHeader(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("header-only: err = %v, want mention of %q", err, c.want)
			}
		})
	}
}
