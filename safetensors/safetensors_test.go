package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The reference bytes below are written out by hand from the format
// description, not produced by this package.
var (
	// Header of 138 bytes + 6 spaces of padding = 144 (a multiple of 8 once
	// the 8-byte length prefix is counted).
	refHeader = `{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[],"data_offsets":[8,10]}}` + "      "
	refData   = []byte{
		0x00, 0x00, 0x80, 0x3f, // 1.0f
		0x00, 0x00, 0x00, 0xc0, // -2.0f
		0x00, 0x3c, // F16 1.0
	}
)

func refFile() []byte {
	out := []byte{144, 0, 0, 0, 0, 0, 0, 0}
	out = append(out, refHeader...)
	return append(out, refData...)
}

func TestReferenceBytes(t *testing.T) {
	if len(refHeader) != 144 {
		t.Fatalf("test setup: header is %d bytes", len(refHeader))
	}
	f, err := ReadBytes(refFile())
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Names(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("names %v", got)
	}
	a, err := f.Tensors["a"].Float32s()
	if err != nil || !reflect.DeepEqual(a, []float32{1, -2}) || !reflect.DeepEqual(f.Tensors["a"].Shape, []int{2}) {
		t.Fatalf("a = %v %v (err %v)", a, f.Tensors["a"].Shape, err)
	}
	b, err := f.Tensors["b"].Float32s()
	if err != nil || !reflect.DeepEqual(b, []float32{1}) || len(f.Tensors["b"].Shape) != 0 {
		t.Fatalf("b = %v %v (err %v)", b, f.Tensors["b"].Shape, err)
	}
	if f.Metadata["format"] != "pt" {
		t.Fatalf("metadata %v", f.Metadata)
	}

	// Writing the same content must reproduce the reference bytes exactly.
	bt, _ := FromFloat32As(F16, nil, []float32{1})
	out, err := Bytes(&File{
		Tensors:  map[string]Tensor{"b": bt, "a": FromFloat32([]int{2}, []float32{1, -2})},
		Metadata: map[string]string{"format": "pt"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, refFile()) {
		t.Fatalf("writer output differs from reference:\n got %q\nwant %q", out, refFile())
	}
}

// TestReadOtherHeaderForms checks forms other writers produce: keys in any
// order, metadata last or null, extra whitespace, unknown entry fields.
func TestReadOtherHeaderForms(t *testing.T) {
	for _, h := range []string{
		`{"b":{"dtype":"F16","shape":[],"data_offsets":[8,10]},"a":{"shape":[2],"data_offsets":[0,8],"dtype":"F32"},"__metadata__":{"format":"pt"}}`,
		`{ "__metadata__" : null , "a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1},
		  "b":{"dtype":"F16","shape":[],"data_offsets":[8,10]} }   `,
	} {
		f, err := ReadBytes(build(h, refData))
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		if v, _ := f.Tensors["a"].Float32s(); !reflect.DeepEqual(v, []float32{1, -2}) {
			t.Fatalf("a = %v", v)
		}
	}
}

// build assembles a file from a header string (unpadded) and data.
func build(header string, data []byte) []byte {
	out := make([]byte, 8, 8+len(header)+len(data))
	binary.LittleEndian.PutUint64(out, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

func randomFile(rng *rand.Rand) *File {
	f := &File{Tensors: map[string]Tensor{}, Metadata: map[string]string{"format": "pt", "note": "ünïcode & <html>"}}
	dts := []DType{BOOL, U8, I8, F8E5M2, F8E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64}
	for i, dt := range dts {
		shape := []int{1 + rng.Intn(3), rng.Intn(4)} // may be zero-sized
		if i%5 == 0 {
			shape = []int{} // scalar
		}
		n, _ := numElements(shape)
		data := make([]byte, n*dt.Size())
		rng.Read(data)
		f.Tensors[string(dt)+".w"] = Tensor{DType: dt, Shape: shape, Data: data}
	}
	return f
}

func TestRoundTripAllDTypes(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	dir := t.TempDir()
	for i := 0; i < 5; i++ {
		f := randomFile(rng)
		path := filepath.Join(dir, "m.safetensors")
		if err := Write(path, f); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(path)
		if n := binary.LittleEndian.Uint64(raw); (8+n)%8 != 0 {
			t.Fatalf("data buffer not 8-byte aligned: header length %d", n)
		}
		g, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(f.Metadata, g.Metadata) {
			t.Fatalf("metadata %v != %v", g.Metadata, f.Metadata)
		}
		if len(g.Tensors) != len(f.Tensors) {
			t.Fatalf("%d tensors, want %d", len(g.Tensors), len(f.Tensors))
		}
		for name, want := range f.Tensors {
			got := g.Tensors[name]
			if got.DType != want.DType || !reflect.DeepEqual(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
				t.Fatalf("%s: got %v %v %d bytes, want %v %v %d bytes", name, got.DType, got.Shape, len(got.Data), want.DType, want.Shape, len(want.Data))
			}
		}
		h, err := ReadHeader(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(h.Names(), f.Names()) || !reflect.DeepEqual(h.Metadata, f.Metadata) {
			t.Fatalf("header names %v", h.Names())
		}
		for name, want := range f.Tensors {
			ti := h.Tensors[name]
			got := raw[h.DataStart+ti.DataOffsets[0] : h.DataStart+ti.DataOffsets[1]]
			if ti.DType != want.DType || !reflect.DeepEqual(ti.Shape, want.Shape) || !bytes.Equal(got, want.Data) {
				t.Fatalf("header entry %s does not locate the data", name)
			}
		}
		m, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range f.Tensors {
			if !bytes.Equal(m.Tensors[name].Data, want.Data) {
				t.Fatalf("mmap %s differs", name)
			}
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDeterministicOutput(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	f := randomFile(rng)
	a, err := Bytes(f)
	if err != nil {
		t.Fatal(err)
	}
	// Rebuild the maps in a different insertion order.
	g := &File{Tensors: map[string]Tensor{}, Metadata: map[string]string{}}
	names := f.Names()
	for i := len(names) - 1; i >= 0; i-- {
		g.Tensors[names[i]] = f.Tensors[names[i]]
	}
	for k, v := range f.Metadata {
		g.Metadata[k] = v
	}
	for i := 0; i < 5; i++ {
		b, _ := Bytes(g)
		if !bytes.Equal(a, b) {
			t.Fatal("output depends on map order")
		}
	}
	// Data is laid out in sorted name order.
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(a[8:8+binary.LittleEndian.Uint64(a)], &hdr); err != nil {
		t.Fatal(err)
	}
	prev := -1
	for _, n := range f.Names() {
		var e struct {
			DataOffsets [2]int `json:"data_offsets"`
		}
		json.Unmarshal(hdr[n], &e)
		if e.DataOffsets[0] < prev {
			t.Fatalf("tensor %s at %d placed before its predecessor ending at %d", n, e.DataOffsets[0], prev)
		}
		prev = e.DataOffsets[1]
	}
}

func TestWriteRejectsBadTensors(t *testing.T) {
	cases := map[string]*File{
		"length mismatch": {Tensors: map[string]Tensor{"x": FromFloat32([]int{3}, []float32{1, 2})}},
		"unknown dtype":   {Tensors: map[string]Tensor{"x": {DType: "F17", Shape: []int{1}, Data: []byte{0}}}},
		"negative dim":    {Tensors: map[string]Tensor{"x": {DType: U8, Shape: []int{-1}}}},
		"reserved name":   {Tensors: map[string]Tensor{"__metadata__": FromFloat32([]int{1}, []float32{1})}},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "x.safetensors")
			old := []byte("previous content")
			os.WriteFile(path, old, 0o644)
			err := Write(path, f)
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want an error naming the file", err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
				t.Fatal("failed write changed the existing file")
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Fatalf("temp files left behind: %v", ents)
			}
		})
	}
}

func TestWriteAtomicReplacesAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	for i := 0; i < 3; i++ {
		f := &File{Tensors: map[string]Tensor{"x": FromFloat32([]int{i + 1}, make([]float32, i+1))}}
		if err := Write(path, f); err != nil {
			t.Fatal(err)
		}
		g, err := Read(path)
		if err != nil || g.Tensors["x"].Shape[0] != i+1 {
			t.Fatalf("after write %d: %v %v", i, g, err)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("directory has %d entries, want 1", len(ents))
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v", st.Mode())
	}
	// A missing directory is an error, not a panic.
	if err := Write(filepath.Join(dir, "no", "such", "x.safetensors"), &File{}); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

func TestEmptyFile(t *testing.T) {
	b, err := Bytes(&File{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := ReadBytes(b)
	if err != nil || len(f.Tensors) != 0 {
		t.Fatalf("%v %v", f, err)
	}
}

// TestCorruption feeds damaged files to the reader; each must fail with
// ErrInvalid and a message naming the problem.
func TestCorruption(t *testing.T) {
	good := refFile()
	withLen := func(n uint64) []byte {
		b := append([]byte(nil), good...)
		binary.LittleEndian.PutUint64(b, n)
		return b
	}
	f32 := func(offs string) string {
		return `{"a":{"dtype":"F32","shape":[2],"data_offsets":` + offs + `}}`
	}
	eight := make([]byte, 8)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "shorter than the 8-byte"},
		{"short length field", good[:5], "shorter than the 8-byte"},
		{"truncated header", good[:100], "runs past the end"},
		{"truncated data", good[:len(good)-1], "exceed the"},
		{"huge header length", withLen(1 << 62), "exceeds the limit"},
		{"max uint64 length", withLen(math.MaxUint64), "exceeds the limit"},
		{"length past end", withLen(uint64(len(good))), "runs past the end"},
		{"length zero", withLen(0), "does not start with '{'"},
		{"not json", build("hello world", nil), "does not start with '{'"},
		{"invalid utf8", build("{\"\xff\":1}", nil), "UTF-8"},
		{"broken json", build(`{"a":{"dtype":"F32"`, nil), "header JSON"},
		{"json array", build(`[1,2]`, nil), "does not start"},
		{"trailing garbage", build(`{}x`, nil), "trailing bytes"},
		{"two objects", build(`{}{}`, nil), "trailing bytes"},
		{"entry not object", build(`{"a":[1]}`, nil), "not a JSON object"},
		{"unknown dtype", build(`{"a":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}}`, eight), `unknown dtype "F17"`},
		{"lowercase dtype", build(`{"a":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}`, eight), "unknown dtype"},
		{"missing dtype", build(`{"a":{"shape":[2],"data_offsets":[0,8]}}`, eight), "missing dtype"},
		{"missing shape", build(`{"a":{"dtype":"F32","data_offsets":[0,8]}}`, eight), "missing shape"},
		{"missing offsets", build(`{"a":{"dtype":"F32","shape":[2]}}`, eight), "missing data_offsets"},
		{"three offsets", build(f32("[0,4,8]"), eight), "has 3 values"},
		{"negative offset", build(f32("[-1,8]"), eight), `tensor "a"`},
		{"float offset", build(f32("[0.5,8]"), eight), `tensor "a"`},
		{"reversed offsets", build(f32("[8,0]"), eight), "end before they begin"},
		{"offsets past buffer", build(f32("[0,16]"), eight), "exceed the 8-byte data buffer"},
		{"size mismatch", build(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, eight), "needs 12 bytes"},
		{"negative dim", build(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, eight), "bad dimension"},
		{"overflowing shape", build(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, eight), "too many elements"},
		{"gap before", build(f32("[4,12]"), make([]byte, 12)), "gap in data buffer"},
		{"trailing data", build(f32("[0,8]"), make([]byte, 12)), "cover only 8"},
		{"overlap", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "overlaps"},
		{"aliased", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 16)), "overlaps"},
		{"duplicate name", build(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, []byte{1, 2}), `duplicate entry "a"`},
		{"duplicate metadata", build(`{"__metadata__":{},"__metadata__":{}}`, nil), "duplicate entry"},
		{"metadata not strings", build(`{"__metadata__":{"n":1}}`, nil), "__metadata__ must map strings"},
		{"metadata array", build(`{"__metadata__":["x"]}`, nil), "__metadata__ must map strings"},
		{"data without tensors", build(`{}`, []byte{1}), "cover only 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := ReadBytes(c.data)
			if err == nil {
				t.Fatalf("accepted corrupt input: %v", f.Names())
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
			// The header-only reader must reach the same verdict from disk.
			path := filepath.Join(t.TempDir(), "c.safetensors")
			os.WriteFile(path, c.data, 0o644)
			_, err = ReadHeader(path)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("ReadHeader error %v, want one naming the file and %q", err, c.want)
			}
		})
	}
	// Read names the file.
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	os.WriteFile(path, good[:50], 0o644)
	_, err := Read(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "runs past the end") || !errors.Is(err, ErrInvalid) {
		t.Fatalf("Read error %v", err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Load error %v", err)
	}
	_, err = Read(filepath.Join(t.TempDir(), "missing.safetensors"))
	if err == nil || errors.Is(err, ErrInvalid) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file error %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(refFile())
	for _, h := range []string{
		`{}`,
		`{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}`,
		`{"a":{"dtype":"BF16","shape":[1,1],"data_offsets":[0,2]},"__metadata__":{"k":"v"}}`,
	} {
		f.Add(build(h, []byte{1, 2}))
		f.Add(build(h, nil))
	}
	rb, _ := Bytes(randomFile(rand.New(rand.NewSource(3))))
	f.Add(rb)
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := ReadBytes(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error without ErrInvalid: %v", err)
			}
			return
		}
		// Whatever is accepted must survive a write/read round trip.
		out, err := Bytes(file)
		if err != nil {
			t.Fatalf("accepted file cannot be written: %v", err)
		}
		again, err := ReadBytes(out)
		if err != nil {
			t.Fatalf("re-read failed: %v", err)
		}
		if len(again.Tensors) != len(file.Tensors) || !reflect.DeepEqual(again.Metadata, file.Metadata) {
			t.Fatal("round trip changed the file")
		}
		for n, tt := range file.Tensors {
			u := again.Tensors[n]
			if u.DType != tt.DType || !bytes.Equal(u.Data, tt.Data) || len(u.Shape) != len(tt.Shape) {
				t.Fatalf("round trip changed %q", n)
			}
			if tt.DType == F32 || tt.DType == F16 || tt.DType == BF16 || tt.DType == F64 {
				if _, err := tt.Float32s(); err != nil {
					t.Fatalf("Float32s on accepted tensor: %v", err)
				}
			}
		}
	})
}
