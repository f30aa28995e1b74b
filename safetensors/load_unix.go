//go:build unix

package safetensors

import (
	"fmt"
	"os"
	"syscall"
)

// Mapped is a safetensors file whose tensor data is memory-mapped read-only
// rather than copied into the heap. Its tensors' Data must not be written to
// (that faults) nor used after Close.
type Mapped struct {
	*File
	data []byte
}

// Load memory-maps and validates the file at path.
func Load(path string) (*Mapped, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	size := st.Size()
	if size == 0 || size != int64(int(size)) {
		// mmap of an empty file fails; let the parser report the problem.
		return readMapped(path)
	}
	data, err := syscall.Mmap(int(fd.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return readMapped(path) // e.g. a filesystem without mmap support
	}
	f, err := ReadBytes(data)
	if err != nil {
		syscall.Munmap(data)
		return nil, fmt.Errorf("safetensors: %s: %w", path, unwrapPrefix(err))
	}
	return &Mapped{File: f, data: data}, nil
}

func readMapped(path string) (*Mapped, error) {
	f, err := Read(path)
	if err != nil {
		return nil, err
	}
	return &Mapped{File: f}, nil
}

// Close unmaps the file. Tensor data obtained from it becomes invalid.
func (m *Mapped) Close() error {
	if m.data == nil {
		return nil
	}
	err := syscall.Munmap(m.data)
	m.data = nil
	m.File = nil
	return err
}
