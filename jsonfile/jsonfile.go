// Package jsonfile reads and writes the JSON files a run keeps (specs,
// progress, results, configs): written atomically, read with errors that name
// the file, line and column.
package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"vlmq/atomicfile"
)

// Write stores v as indented JSON at path atomically (temp file, fsync,
// rename). Map keys are sorted, so equal values give identical files.
func Write(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	b = append(b, '\n')
	if err := atomicfile.Write(path, b); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Read decodes the JSON file at path into v. Unknown fields are ignored
// (Hugging Face configs carry many keys a reader does not need).
func Read(path string, v any) error { return read(path, v, false) }

// ReadStrict is Read but rejects fields that v has no place for, to
// catch misspelt keys in configs written by hand.
func ReadStrict(path string, v any) error { return read(path, v, true) }

func read(path string, v any, strict bool) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := Decode(b, v, strict); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Decode decodes exactly one JSON value from b into v, reporting syntax
// and type errors with line and column. With strict, unknown object fields are
// an error.
func Decode(b []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return errors.New("empty JSON document")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return errors.New("JSON document is truncated")
		case errors.As(err, &se):
			// Offset counts the offending byte itself.
			line, col := lineCol(b, max(se.Offset-1, 0))
			return fmt.Errorf("invalid JSON at line %d, column %d: %v", line, col, se)
		case errors.As(err, &te):
			line, col := lineCol(b, te.Offset)
			return fmt.Errorf("line %d, column %d: %v", line, col, te)
		}
		return err
	}
	if tok, err := dec.Token(); err != io.EOF {
		line, col := lineCol(b, dec.InputOffset())
		if err != nil {
			return fmt.Errorf("trailing data after JSON value at line %d, column %d: %v", line, col, err)
		}
		return fmt.Errorf("trailing data after JSON value at line %d, column %d: %v", line, col, tok)
	}
	return nil
}

func lineCol(b []byte, off int64) (line, col int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line, col = 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
