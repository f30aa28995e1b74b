//go:build !unix

package safetensors

// Mapped is a loaded safetensors file; without mmap support the data is read
// into memory.
type Mapped struct {
	*File
}

// Load reads and validates the file at path.
func Load(path string) (*Mapped, error) {
	f, err := Read(path)
	if err != nil {
		return nil, err
	}
	return &Mapped{File: f}, nil
}

// Close releases the file.
func (m *Mapped) Close() error { m.File = nil; return nil }
