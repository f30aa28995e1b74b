package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// pyReader is a minimal safetensors reader written from the format
// description, independent of this package: it prints every tensor as a list
// of floats (via torch) after checking the header layout.
const pyReader = `
import json, struct, sys, torch
path = sys.argv[1]
raw = open(path, "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
assert (8 + n) % 8 == 0, "data buffer not aligned"
header = json.loads(raw[8:8 + n].decode("utf-8"))
buf = raw[8 + n:]
meta = header.pop("__metadata__", {})
dt = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
      "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
      "U8": torch.uint8, "BOOL": torch.bool}
out, pos = {}, 0
for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
    b, end = e["data_offsets"]
    assert b == pos, "gap or overlap"
    pos = end
    chunk = bytearray(buf[b:end])
    t = torch.frombuffer(chunk, dtype=dt[e["dtype"]]) if chunk else torch.empty(0, dtype=dt[e["dtype"]])
    t = t.reshape(e["shape"])
    out[name] = {"dtype": e["dtype"], "shape": list(t.shape), "values": t.double().flatten().tolist()}
assert pos == len(buf), "trailing bytes"
print(json.dumps({"metadata": meta, "tensors": out}))
`

// pyWriter writes a safetensors file following the format description. It
// takes float32 source values and stores torch's own F16/BF16 roundings plus a
// few integer tensors.
const pyWriter = `
import json, struct, sys, torch
src = torch.tensor(json.load(open(sys.argv[1])), dtype=torch.float32)
tensors = {
    "src.f32": src.reshape(2, -1),
    "src.f16": src.to(torch.float16),
    "src.bf16": src.to(torch.bfloat16),
    "src.f64": src.to(torch.float64).reshape(-1, 2),
    "ints.i64": torch.arange(-3, 3, dtype=torch.int64).reshape(3, 2),
    "ints.i32": torch.arange(0, 5, dtype=torch.int32),
    "mask": torch.tensor([True, False, True]),
    "scalar": torch.tensor(7.5),
    "empty": torch.zeros(0, 3),
}
names = {"src.f32": "F32", "src.f16": "F16", "src.bf16": "BF16", "src.f64": "F64",
         "ints.i64": "I64", "ints.i32": "I32", "mask": "BOOL", "scalar": "F32", "empty": "F32"}
header, blobs, off = {"__metadata__": {"format": "pt", "writer": "python"}}, [], 0
for name, t in tensors.items():  # insertion order, not sorted: the reader must not care
    t = t.contiguous()
    data = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
    header[name] = {"dtype": names[name], "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
    blobs.append(data)
    off += len(data)
h = json.dumps(header).encode()
h += b" " * ((8 - (8 + len(h)) % 8) % 8)
with open(sys.argv[2], "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
`

func needTorch(t *testing.T) string {
	t.Helper()
	py := "/usr/bin/python3"
	skip := t.Skipf
	if os.Getenv("VLMQ_REQUIRE_TORCH") != "" { // CI: fail, never skip
		skip = t.Fatalf
	}
	if _, err := os.Stat(py); err != nil {
		skip("python3 not installed")
	}
	if out, err := exec.Command(py, "-c", "import torch").CombinedOutput(); err != nil {
		skip("torch not importable: %v %s", err, out)
	}
	return py
}

func TestInteropGoWritesPythonReads(t *testing.T) {
	py := needTorch(t)
	dir := t.TempDir()
	vals := []float32{0, 1, -2.5, 3.140625, 1e-3, -65504, 0.099609375, 7}
	f := &File{Tensors: map[string]Tensor{}, Metadata: map[string]string{"format": "pt", "step": "12"}}
	for _, dt := range []DType{F32, F16, BF16, F64} {
		tt, err := FromFloat32As(dt, []int{2, 4}, vals)
		if err != nil {
			t.Fatal(err)
		}
		f.Tensors["w."+string(dt)] = tt
	}
	i64 := make([]byte, 8*3)
	for i, v := range []int64{-1, 0, 1 << 40} {
		binary.LittleEndian.PutUint64(i64[8*i:], uint64(v))
	}
	f.Tensors["ids"] = Tensor{DType: I64, Shape: []int{3}, Data: i64}
	f.Tensors["mask"] = Tensor{DType: BOOL, Shape: []int{1, 3}, Data: []byte{1, 0, 1}}
	f.Tensors["odd"] = Tensor{DType: U8, Shape: []int{3}, Data: []byte{9, 8, 255}} // leaves later data unaligned
	f.Tensors["scalar"] = FromFloat32(nil, []float32{42})
	f.Tensors["zero"] = FromFloat32([]int{0, 5}, nil)
	path := filepath.Join(dir, "go.safetensors")
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "reader.py")
	os.WriteFile(script, []byte(pyReader), 0o644)
	out, err := exec.Command(py, script, path).Output()
	if err != nil {
		t.Fatalf("python reader failed: %v\n%s", err, errText(err))
	}
	var got struct {
		Metadata map[string]string
		Tensors  map[string]struct {
			DType  string
			Shape  []int
			Values []float64
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !reflect.DeepEqual(got.Metadata, f.Metadata) {
		t.Fatalf("metadata %v", got.Metadata)
	}
	want64 := func(v []float32, dt DType) []float64 {
		r := make([]float64, len(v))
		for i, x := range v {
			switch dt {
			case F16:
				x = F16ToFloat32(Float32ToF16(x))
			case BF16:
				x = BF16ToFloat32(Float32ToBF16(x))
			}
			r[i] = float64(x)
		}
		return r
	}
	for _, dt := range []DType{F32, F16, BF16, F64} {
		g := got.Tensors["w."+string(dt)]
		if g.DType != string(dt) || !reflect.DeepEqual(g.Shape, []int{2, 4}) || !reflect.DeepEqual(g.Values, want64(vals, dt)) {
			t.Errorf("%s: python saw %+v", dt, g)
		}
	}
	checks := map[string][]float64{"ids": {-1, 0, 1 << 40}, "mask": {1, 0, 1}, "odd": {9, 8, 255}, "scalar": {42}, "zero": {}}
	for name, want := range checks {
		if g := got.Tensors[name]; !reflect.DeepEqual(g.Values, want) || !reflect.DeepEqual(g.Shape, append([]int{}, f.Tensors[name].Shape...)) {
			t.Errorf("%s: python saw %+v", name, g)
		}
	}
}

func TestInteropPythonWritesGoReads(t *testing.T) {
	py := needTorch(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(5))
	src := make([]float32, 4096)
	for i := range src {
		src[i] = float32(rng.NormFloat64() * math.Pow(2, float64(rng.Intn(36)-20)))
	}
	src[0], src[1] = 65520, 1e-8 // edge cases: overflow to Inf in f16, underflow
	// Values passed as JSON float64 are exact copies of the float32s.
	srcJSON, _ := json.Marshal(src)
	srcPath := filepath.Join(dir, "src.json")
	os.WriteFile(srcPath, srcJSON, 0o644)
	script := filepath.Join(dir, "writer.py")
	os.WriteFile(script, []byte(pyWriter), 0o644)
	path := filepath.Join(dir, "py.safetensors")
	if out, err := exec.Command(py, script, srcPath, path).CombinedOutput(); err != nil {
		t.Fatalf("python writer failed: %v\n%s", err, out)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["writer"] != "python" {
		t.Fatalf("metadata %v", f.Metadata)
	}
	f32, err := f.Tensors["src.f32"].Float32s()
	if err != nil || !reflect.DeepEqual(f32, src) || !reflect.DeepEqual(f.Tensors["src.f32"].Shape, []int{2, 2048}) {
		t.Fatalf("F32 differs: %v", err)
	}
	f64, _ := f.Tensors["src.f64"].Float32s()
	if !reflect.DeepEqual(f64, src) {
		t.Fatal("F64 differs")
	}
	// torch's F16/BF16 roundings must equal ours bit for bit.
	for _, c := range []struct {
		name string
		enc  func(float32) uint16
	}{{"src.f16", Float32ToF16}, {"src.bf16", Float32ToBF16}} {
		data := f.Tensors[c.name].Data
		for i, x := range src {
			if got, want := binary.LittleEndian.Uint16(data[2*i:]), c.enc(x); got != want {
				t.Fatalf("%s[%d]: torch rounded %v to %#04x, we give %#04x", c.name, i, x, got, want)
			}
		}
	}
	i64 := f.Tensors["ints.i64"]
	if i64.DType != I64 || !reflect.DeepEqual(i64.Shape, []int{3, 2}) || int64(binary.LittleEndian.Uint64(i64.Data)) != -3 {
		t.Fatalf("I64 %+v", i64)
	}
	if m := f.Tensors["mask"]; m.DType != BOOL || string(m.Data) != "\x01\x00\x01" {
		t.Fatalf("mask %+v", m)
	}
	if s, _ := f.Tensors["scalar"].Float32s(); len(f.Tensors["scalar"].Shape) != 0 || !reflect.DeepEqual(s, []float32{7.5}) {
		t.Fatalf("scalar %v %v", f.Tensors["scalar"].Shape, s)
	}
	if e := f.Tensors["empty"]; !reflect.DeepEqual(e.Shape, []int{0, 3}) || len(e.Data) != 0 {
		t.Fatalf("empty %+v", e)
	}
}

func errText(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
