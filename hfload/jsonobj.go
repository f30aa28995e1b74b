package hfload

import (
	"fmt"
	"math"
)

// Object is a decoded JSON object of config.json with its key path, so
// that a bad value gives an error such as
// `text_config.num_hidden_layers: want an integer, got "18"`. Families read
// it through a Reader.
type Object struct {
	m    map[string]any
	path string
}

// Key is the full path of key k, for messages.
func (o Object) Key(k string) string {
	if o.path == "" {
		return k
	}
	return o.path + "." + k
}

// Has reports whether k is present and not null.
func (o Object) Has(k string) bool {
	v, ok := o.m[k]
	return ok && v != nil
}

func (o Object) sub(k string) (Object, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return Object{map[string]any{}, o.Key(k)}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return Object{}, fmt.Errorf("%s: want an object, got %s", o.Key(k), describe(v))
	}
	return Object{m, o.Key(k)}, nil
}

func (o Object) str(k, def string) (string, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: want a string, got %s", o.Key(k), describe(v))
	}
	return s, nil
}

func (o Object) strs(k string) ([]string, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: want a list of strings, got %s", o.Key(k), describe(v))
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("%s[%d]: want a string, got %s", o.Key(k), i, describe(e))
		}
		out[i] = s
	}
	return out, nil
}

// posInt reads a positive integer (dimensions, counts).
func (o Object) posInt(k string, def int) (int, error) {
	n, err := o.int(k, def)
	if err == nil && n <= 0 {
		err = fmt.Errorf("%s: want a positive integer, got %d", o.Key(k), n)
	}
	return n, err
}

func (o Object) int(k string, def int) (int, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return def, nil
	}
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("%s: want an integer, got %s", o.Key(k), describe(v))
	}
	return int(f), nil
}

func (o Object) float(k string, def float64) (float64, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return def, nil
	}
	f, ok := v.(float64)
	if !ok {
		return 0, fmt.Errorf("%s: want a number, got %s", o.Key(k), describe(v))
	}
	return f, nil
}

func (o Object) bool(k string, def bool) (bool, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%s: want true or false, got %s", o.Key(k), describe(v))
	}
	return b, nil
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprint(v)
}

// Reader reads typed values with defaults from config.json objects and
// keeps the first error, so a family's Parse stays linear. Int reads
// positive integers (sizes, counts), AnyInt any integer (token ids).
type Reader struct {
	err error
}

// Keep records err if it is the first.
func (g *Reader) Keep(err error) {
	if g.err == nil {
		g.err = err
	}
}

// Err is the first error kept.
func (g *Reader) Err() error { return g.err }

// Int reads a positive integer (a size or a count).
func (g *Reader) Int(o Object, k string, def int) int {
	n, err := o.posInt(k, def)
	g.Keep(err)
	return n
}

// AnyInt reads any integer (a token id, -1 for none).
func (g *Reader) AnyInt(o Object, k string, def int) int {
	n, err := o.int(k, def)
	g.Keep(err)
	return n
}

// Float reads a number.
func (g *Reader) Float(o Object, k string, def float64) float64 {
	f, err := o.float(k, def)
	g.Keep(err)
	return f
}

// Disabled reads a number where an explicit null means "off" (0), as for
// Gemma 2's soft-capping and sliding window, while an absent key takes def.
func (g *Reader) Disabled(o Object, k string, def float64) float64 {
	if v, ok := o.m[k]; ok && v == nil {
		return 0
	}
	return g.Float(o, k, def)
}

// Str reads a string.
func (g *Reader) Str(o Object, k, def string) string {
	s, err := o.str(k, def)
	g.Keep(err)
	return s
}

// Bool reads true or false.
func (g *Reader) Bool(o Object, k string, def bool) bool {
	b, err := o.bool(k, def)
	g.Keep(err)
	return b
}

// Sub reads a nested object (empty when absent).
func (g *Reader) Sub(o Object, k string) Object {
	s, err := o.sub(k)
	g.Keep(err)
	if err != nil {
		return Object{map[string]any{}, o.Key(k)}
	}
	return s
}

// Strs reads a list of strings (nil when absent).
func (g *Reader) Strs(o Object, k string) []string {
	s, err := o.strs(k)
	g.Keep(err)
	return s
}
