package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"vlmq/atomicfile"
)

type outEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// header builds the padded JSON header for f, laying tensors out in sorted
// name order so the output is deterministic.
func header(f *File) ([]byte, []string, error) {
	names := f.Names()
	entries := make(map[string]any, len(names)+1)
	var off int64
	for _, name := range names {
		t := f.Tensors[name]
		if name == metadataKey {
			return nil, nil, fmt.Errorf("tensor name %q is reserved", metadataKey)
		}
		if err := t.Validate(); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{} // a scalar; JSON must say [] not null
		}
		entries[name] = outEntry{string(t.DType), shape, [2]int64{off, off + int64(len(t.Data))}}
		off += int64(len(t.Data))
	}
	if len(f.Metadata) > 0 {
		entries[metadataKey] = f.Metadata
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(entries); err != nil { // map keys are sorted by encoding/json
		return nil, nil, err
	}
	h := bytes.TrimRight(buf.Bytes(), "\n")
	// Pad with spaces so the data buffer starts 8-byte aligned, as the
	// reference writer does.
	for (8+len(h))%8 != 0 {
		h = append(h, ' ')
	}
	return h, names, nil
}

// Encode writes f in safetensors format to w.
func Encode(w io.Writer, f *File) error {
	h, names, err := header(f)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(h)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(h); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := w.Write(f.Tensors[name].Data); err != nil {
			return err
		}
	}
	return nil
}

// Bytes returns f encoded in safetensors format.
func Bytes(f *File) ([]byte, error) {
	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write stores f at path atomically: the data goes to a temporary file in
// the same directory, is fsynced and then renamed over path, so readers see
// either the old file or the complete new one.
func Write(path string, f *File) error {
	if _, _, err := header(f); err != nil { // fail before touching the disk
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	err := atomicfile.WriteFunc(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := Encode(bw, f); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("safetensors: writing %s: %w", path, err)
	}
	return nil
}
