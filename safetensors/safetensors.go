// Package safetensors reads and writes the Hugging Face safetensors format:
// an 8-byte little-endian header length N, N bytes of JSON header describing
// each tensor (dtype, shape, data_offsets relative to the data buffer) plus an
// optional "__metadata__" string map, then the raw little-endian data.
//
// Reading validates everything the reference implementation checks (header
// bounds, JSON, known dtypes, offsets that exactly tile the buffer, sizes that
// match shapes) and additionally rejects duplicate names, so a corrupt or
// truncated file yields an error naming the file and the problem.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// MaxHeaderSize bounds the JSON header, as in the reference implementation,
// so a corrupt length cannot trigger a huge allocation.
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header entry holding the string metadata.
const metadataKey = "__metadata__"

// ErrInvalid is wrapped by every error caused by malformed file contents, so
// callers can tell corruption apart from I/O failures with errors.Is.
var ErrInvalid = errors.New("invalid safetensors data")

// Tensor is one named array. Data holds the little-endian elements in
// row-major order; after ReadBytes it aliases the input slice.
type Tensor struct {
	DType DType
	Shape []int
	Data  []byte
}

// File is the content of a safetensors file (or of a sharded checkpoint).
type File struct {
	Tensors  map[string]Tensor
	Metadata map[string]string
}

// Names returns the tensor names in sorted order.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Tensors))
	for n := range f.Tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NumElements returns prod(Shape), or an error for negative or overflowing
// shapes.
func (t Tensor) NumElements() (int, error) { return numElements(t.Shape) }

// Validate checks that the dtype is known and the data length matches the
// shape.
func (t Tensor) Validate() error {
	want, err := byteSize(t.DType, t.Shape)
	if err != nil {
		return err
	}
	if len(t.Data) != want {
		return fmt.Errorf("data has %d bytes, shape %v of %s needs %d", len(t.Data), t.Shape, t.DType, want)
	}
	return nil
}

// Read reads and validates a safetensors file.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := ReadBytes(b)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, unwrapPrefix(err))
	}
	return f, nil
}

// ReadBytes parses and validates a safetensors file held in memory. The
// returned tensors' Data alias b.
func ReadBytes(b []byte) (*File, error) {
	f, err := parse(b)
	if err != nil {
		return nil, &prefixed{err}
	}
	return f, nil
}

// prefixed adds the package prefix to an error from ReadBytes while letting
// Read replace it with "safetensors: <path>:".
type prefixed struct{ err error }

func (p *prefixed) Error() string { return "safetensors: " + p.err.Error() }
func (p *prefixed) Unwrap() error { return p.err }

func unwrapPrefix(err error) error {
	if p, ok := err.(*prefixed); ok {
		return p.err
	}
	return err
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// headerEntry mirrors one tensor entry; pointers detect missing fields.
type headerEntry struct {
	DType       *string   `json:"dtype"`
	Shape       *[]int64  `json:"shape"`
	DataOffsets *[]uint64 `json:"data_offsets"`
}

type span struct {
	name       string
	begin, end uint64
}

// TensorInfo describes a tensor from the header alone: its dtype, shape and
// byte range within the data buffer.
type TensorInfo struct {
	DType       DType
	Shape       []int
	DataOffsets [2]int64
}

// Header is the validated header of a safetensors file, without the data.
type Header struct {
	Tensors  map[string]TensorInfo
	Metadata map[string]string
	// DataStart is the file offset of the data buffer (8 + header length).
	DataStart int64
}

// Names returns the tensor names in sorted order.
func (h *Header) Names() []string {
	names := make([]string, 0, len(h.Tensors))
	for n := range h.Tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ReadHeader reads and validates only the header of the file at path,
// checking the offsets against the file size; the tensor data is not read,
// which makes inspecting multi-gigabyte checkpoints cheap.
func ReadHeader(path string) (*Header, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	wrap := func(err error) error { return fmt.Errorf("safetensors: %s: %w", path, err) }
	var lenBuf [8]byte
	if _, err := io.ReadFull(fd, lenBuf[:]); err != nil {
		return nil, wrap(invalid("file is %d bytes, shorter than the 8-byte header length", st.Size()))
	}
	n, err := headerLen(lenBuf[:], st.Size())
	if err != nil {
		return nil, wrap(err)
	}
	header := make([]byte, n)
	if _, err := io.ReadFull(fd, header); err != nil {
		return nil, wrap(err)
	}
	h, err := parseHeader(header, uint64(st.Size())-8-n)
	if err != nil {
		return nil, wrap(err)
	}
	return h, nil
}

// headerLen decodes and bounds-checks the header length field.
func headerLen(b []byte, fileSize int64) (uint64, error) {
	if fileSize < 8 {
		return 0, invalid("file is %d bytes, shorter than the 8-byte header length", fileSize)
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n > MaxHeaderSize {
		return 0, invalid("header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	if n > uint64(fileSize-8) {
		return 0, invalid("header length %d runs past the end of the file (%d bytes after the length field); file truncated?", n, fileSize-8)
	}
	return n, nil
}

func parse(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, invalid("file is %d bytes, shorter than the 8-byte header length", len(b))
	}
	n, err := headerLen(b, int64(len(b)))
	if err != nil {
		return nil, err
	}
	buf := b[8+n:]
	h, err := parseHeader(b[8:8+n], uint64(len(buf)))
	if err != nil {
		return nil, err
	}
	f := &File{Tensors: make(map[string]Tensor, len(h.Tensors)), Metadata: h.Metadata}
	for name, ti := range h.Tensors {
		begin, end := ti.DataOffsets[0], ti.DataOffsets[1]
		f.Tensors[name] = Tensor{DType: ti.DType, Shape: ti.Shape, Data: buf[begin:end:end]}
	}
	return f, nil
}

// parseHeader validates a header against a data buffer of bufLen bytes.
func parseHeader(header []byte, bufLen uint64) (*Header, error) {
	if !utf8.Valid(header) {
		return nil, invalid("header is not valid UTF-8")
	}
	if len(header) == 0 || header[0] != '{' {
		return nil, invalid("header does not start with '{'")
	}
	entries, meta, err := decodeHeader(header)
	if err != nil {
		return nil, err
	}

	h := &Header{Tensors: make(map[string]TensorInfo, len(entries)), Metadata: meta, DataStart: int64(8 + len(header))}
	spans := make([]span, 0, len(entries))
	for _, e := range entries {
		var he headerEntry
		dec := json.NewDecoder(bytes.NewReader(e.raw))
		if err := dec.Decode(&he); err != nil {
			return nil, invalid("tensor %q: %v", e.name, err)
		}
		switch {
		case he.DType == nil:
			return nil, invalid("tensor %q: missing dtype", e.name)
		case he.Shape == nil:
			return nil, invalid("tensor %q: missing shape", e.name)
		case he.DataOffsets == nil:
			return nil, invalid("tensor %q: missing data_offsets", e.name)
		}
		dt := DType(*he.DType)
		if !dt.Valid() {
			return nil, invalid("tensor %q: unknown dtype %q", e.name, *he.DType)
		}
		offs := *he.DataOffsets
		if len(offs) != 2 {
			return nil, invalid("tensor %q: data_offsets has %d values, want 2", e.name, len(offs))
		}
		if offs[1] < offs[0] {
			return nil, invalid("tensor %q: data_offsets [%d, %d] end before they begin", e.name, offs[0], offs[1])
		}
		if offs[1] > bufLen {
			return nil, invalid("tensor %q: data_offsets [%d, %d] exceed the %d-byte data buffer; file truncated?", e.name, offs[0], offs[1], bufLen)
		}
		shape := make([]int, len(*he.Shape))
		for i, d := range *he.Shape {
			if d < 0 || int64(int(d)) != d {
				return nil, invalid("tensor %q: bad dimension %d in shape %v", e.name, d, *he.Shape)
			}
			shape[i] = int(d)
		}
		size, err := byteSize(dt, shape)
		if err != nil {
			return nil, invalid("tensor %q: %v", e.name, err)
		}
		if uint64(size) != offs[1]-offs[0] {
			return nil, invalid("tensor %q: shape %v of %s needs %d bytes but data_offsets [%d, %d] span %d", e.name, shape, dt, size, offs[0], offs[1], offs[1]-offs[0])
		}
		h.Tensors[e.name] = TensorInfo{DType: dt, Shape: shape, DataOffsets: [2]int64{int64(offs[0]), int64(offs[1])}}
		spans = append(spans, span{e.name, offs[0], offs[1]})
	}

	// The reference implementation requires the tensors, ordered by offset,
	// to tile the buffer exactly: no gaps, no overlaps, no trailing bytes.
	slices.SortFunc(spans, func(a, b span) int {
		if a.begin != b.begin {
			return cmpU64(a.begin, b.begin)
		}
		return cmpU64(a.end, b.end)
	})
	var pos uint64
	for i, s := range spans {
		if s.begin != pos {
			if s.begin < pos {
				return nil, invalid("tensor %q at [%d, %d] overlaps tensor %q", s.name, s.begin, s.end, spans[i-1].name)
			}
			return nil, invalid("gap in data buffer: bytes [%d, %d) belong to no tensor (next is %q)", pos, s.begin, s.name)
		}
		pos = s.end
	}
	if pos != bufLen {
		return nil, invalid("data buffer has %d bytes but tensors cover only %d", bufLen, pos)
	}
	return h, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type rawEntry struct {
	name string
	raw  json.RawMessage
}

// decodeHeader walks the top-level JSON object token by token because
// encoding/json silently keeps the last of duplicate keys, and a duplicate
// tensor name must be an error.
func decodeHeader(header []byte) ([]rawEntry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(header))
	if _, err := dec.Token(); err != nil { // the '{' checked by the caller
		return nil, nil, invalid("header JSON: %v", err)
	}
	var entries []rawEntry
	seen := map[string]bool{}
	var meta map[string]string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, invalid("header JSON: %v", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, invalid("header JSON: expected a key, got %v", tok)
		}
		if seen[name] {
			return nil, nil, invalid("duplicate entry %q in header", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, invalid("header JSON at entry %q: %v", name, err)
		}
		if name == metadataKey {
			if string(raw) == "null" {
				continue
			}
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, nil, invalid("__metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		if len(raw) == 0 || raw[0] != '{' {
			return nil, nil, invalid("tensor %q: entry is not a JSON object", name)
		}
		entries = append(entries, rawEntry{name, raw})
	}
	if _, err := dec.Token(); err != nil { // closing '}'
		return nil, nil, invalid("header JSON: %v", err)
	}
	// Only whitespace (the reference writer pads with spaces) may follow.
	if strings.Trim(string(header[dec.InputOffset():]), " \t\r\n") != "" {
		return nil, nil, invalid("header has trailing bytes after the JSON object")
	}
	if meta == nil {
		meta = map[string]string{}
	}
	return entries, meta, nil
}
