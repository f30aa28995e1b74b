package safetensors

import (
	"path/filepath"
	"testing"
)

func benchFile() *File {
	f := &File{Tensors: map[string]Tensor{}}
	for i := 0; i < 16; i++ {
		f.Tensors[string(rune('a'+i))+".weight"] = FromFloat32([]int{256, 1024}, make([]float32, 256*1024))
	}
	return f // 16 MiB of data
}

func BenchmarkWrite16MiB(b *testing.B) {
	f := benchFile()
	path := filepath.Join(b.TempDir(), "b.safetensors")
	b.SetBytes(16 << 20)
	for b.Loop() {
		if err := Write(path, f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead16MiB(b *testing.B) {
	path := filepath.Join(b.TempDir(), "b.safetensors")
	if err := Write(path, benchFile()); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(16 << 20)
	for b.Loop() {
		if _, err := Read(path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFloat32sBF16(b *testing.B) {
	src := make([]float32, 1<<20)
	for i := range src {
		src[i] = float32(i) * 0.001
	}
	t, _ := FromFloat32As(BF16, []int{len(src)}, src)
	b.SetBytes(int64(len(t.Data)))
	for b.Loop() {
		if _, err := t.Float32s(); err != nil {
			b.Fatal(err)
		}
	}
}
