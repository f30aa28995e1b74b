package hfload

import (
	"fmt"
	"math"
)

// obj is a decoded JSON object with typed getters that report the full key
// path when a value has the wrong type, so a bad config.json gives an error
// such as `text_config.num_hidden_layers: want an integer, got "18"`.
type obj map[string]any

// objAt pairs an object with its key path for error messages.
type objAt struct {
	m    obj
	path string
}

func (o obj) at(path string) objAt { return objAt{o, path} }

func (o objAt) key(k string) string {
	if o.path == "" {
		return k
	}
	return o.path + "." + k
}

func (o objAt) has(k string) bool {
	v, ok := o.m[k]
	return ok && v != nil
}

func (o objAt) sub(k string) (objAt, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return objAt{obj{}, o.key(k)}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return objAt{}, fmt.Errorf("%s: want an object, got %s", o.key(k), describe(v))
	}
	return objAt{m, o.key(k)}, nil
}

func (o objAt) str(k, def string) (string, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: want a string, got %s", o.key(k), describe(v))
	}
	return s, nil
}

func (o objAt) strs(k string) ([]string, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: want a list of strings, got %s", o.key(k), describe(v))
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("%s[%d]: want a string, got %s", o.key(k), i, describe(e))
		}
		out[i] = s
	}
	return out, nil
}

// posInt reads a positive integer (dimensions, counts).
func (o objAt) posInt(k string, def int) (int, error) {
	n, err := o.int(k, def)
	if err == nil && n <= 0 {
		err = fmt.Errorf("%s: want a positive integer, got %d", o.key(k), n)
	}
	return n, err
}

func (o objAt) int(k string, def int) (int, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return def, nil
	}
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("%s: want an integer, got %s", o.key(k), describe(v))
	}
	return int(f), nil
}

func (o objAt) float(k string, def float64) (float64, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return def, nil
	}
	f, ok := v.(float64)
	if !ok {
		return 0, fmt.Errorf("%s: want a number, got %s", o.key(k), describe(v))
	}
	return f, nil
}

func (o objAt) bool(k string, def bool) (bool, error) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%s: want true or false, got %s", o.key(k), describe(v))
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

// getter collects the first error of a sequence of reads so parsing code
// stays linear.
type getter struct {
	err error
}

func (g *getter) keep(err error) {
	if g.err == nil {
		g.err = err
	}
}

func (g *getter) int(o objAt, k string, def int) int {
	n, err := o.posInt(k, def)
	g.keep(err)
	return n
}

func (g *getter) anyInt(o objAt, k string, def int) int {
	n, err := o.int(k, def)
	g.keep(err)
	return n
}

func (g *getter) float(o objAt, k string, def float64) float64 {
	f, err := o.float(k, def)
	g.keep(err)
	return f
}

// disabled reads a number where an explicit null means "off" (0), as for
// Gemma 2's soft-capping and sliding window, while an absent key takes def.
func (g *getter) disabled(o objAt, k string, def float64) float64 {
	if v, ok := o.m[k]; ok && v == nil {
		return 0
	}
	return g.float(o, k, def)
}

func (g *getter) str(o objAt, k, def string) string {
	s, err := o.str(k, def)
	g.keep(err)
	return s
}

func (g *getter) bool(o objAt, k string, def bool) bool {
	b, err := o.bool(k, def)
	g.keep(err)
	return b
}

func (g *getter) sub(o objAt, k string) objAt {
	s, err := o.sub(k)
	g.keep(err)
	if err != nil {
		return objAt{obj{}, o.key(k)}
	}
	return s
}
