package env

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Family is one env family as the registry knows it. A family registers
// itself in its package's init (Register), and a blank import of the
// package (env/all) is all the wiring it needs: New, Names, Known,
// NewExpert and Options.Check then serve its envs.
type Family struct {
	// Name is the family's short name ("babyai"): FamilyOf's answer for
	// its envs and what pretraining groups facts by.
	Name string
	// Prefix, when set ("babyai/"), gives the family every env name that
	// starts with it. A family without one (the Gym Cards games) owns
	// exactly the names Names lists.
	Prefix string
	// Title names the family's envs in messages ("BabyAI levels").
	Title string
	// Names lists the family's env names, in full ("babyai/GoToObj").
	Names func() []string
	// Known reports whether New builds name with o; nil means name is one
	// of Names(). MiniWoB also knows old names and a checkout's tasks.
	Known func(name string, o Options) bool
	// New builds the named env (the full name, prefix included); o has
	// passed Options.Check.
	New func(name string, o Options) (Env, error)
	// NewExpert returns the scripted expert of an env this family's New
	// built, with ok false for any other env; nil for a family without
	// experts.
	NewExpert func(e Env) (x Expert, ok bool)
	// Options are the settings of Options that belong to this family:
	// other families refuse them, this one checks their values.
	Options []Option
}

// Option is one family's own field of Options.
type Option struct {
	// Flag names the option in messages ("--obs").
	Flag string
	// Value reads the option from o; "" means unset.
	Value func(o Options) string
	// Neutral is a value that means the same as unset, so every family
	// takes it ("both" for --obs, "default" for --obs-text).
	Neutral string
	// Check refuses a value the family does not take; nil takes any.
	Check func(v string) error
}

// Registry holds env families. The package's one registry (Register, New,
// Names, ...) is what vlmq uses; tests build their own.
type Registry struct {
	mu   sync.RWMutex
	fams []*Family
}

var families Registry

// Register adds f to the package's registry, from the family's init. A
// family that is incomplete or claims another's names is a programming
// error, so it panics.
func Register(f Family) {
	if err := families.Register(f); err != nil {
		panic(err)
	}
}

// Register adds f, refusing a family without a name, title, Names or New,
// a prefix not ending in "/", and a name, prefix or env name another
// family already has.
func (r *Registry) Register(f Family) error {
	switch {
	case f.Name == "" || f.Title == "" || f.Names == nil || f.New == nil:
		return fmt.Errorf("env: family %q needs a Name, Title, Names and New", f.Name)
	case f.Prefix != "" && !strings.HasSuffix(f.Prefix, "/"):
		return fmt.Errorf("env: family %q: prefix %q does not end in /", f.Name, f.Prefix)
	}
	for _, o := range f.Options {
		if o.Flag == "" || o.Value == nil {
			return fmt.Errorf("env: family %q: an option needs a Flag and a Value", f.Name)
		}
	}
	names := f.Names()
	for _, n := range names {
		if f.Prefix != "" && !strings.HasPrefix(n, f.Prefix) {
			return fmt.Errorf("env: family %q lists %q, outside its prefix %q", f.Name, n, f.Prefix)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.fams {
		switch {
		case g.Name == f.Name:
			return fmt.Errorf("env: family %q registered twice", f.Name)
		case f.Prefix != "" && g.Prefix == f.Prefix:
			return fmt.Errorf("env: families %q and %q both claim the prefix %q", g.Name, f.Name, f.Prefix)
		}
		for _, n := range g.Names() {
			if f.Prefix != "" && strings.HasPrefix(n, f.Prefix) {
				return fmt.Errorf("env: family %q's prefix %q covers %q of family %q", f.Name, f.Prefix, n, g.Name)
			}
		}
		for _, n := range names {
			if g.owns(n) {
				return fmt.Errorf("env: families %q and %q both name %q", g.Name, f.Name, n)
			}
		}
	}
	r.fams = append(r.fams, &f)
	sort.Slice(r.fams, func(i, j int) bool { return r.fams[i].Name < r.fams[j].Name })
	return nil
}

func (f *Family) owns(name string) bool {
	if f.Prefix != "" {
		return strings.HasPrefix(name, f.Prefix)
	}
	return slices.Contains(f.Names(), name)
}

// Lookup returns the family that owns name, if any.
func (r *Registry) Lookup(name string) (*Family, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, f := range r.fams {
		if f.owns(name) {
			return f, true
		}
	}
	return nil, false
}

// Families lists the registered families' names, sorted.
func (r *Registry) Families() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for _, f := range r.fams {
		out = append(out, f.Name)
	}
	return out
}

// Names lists every family's env names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for _, f := range r.fams {
		out = append(out, f.Names()...)
	}
	sort.Strings(out)
	return out
}

// Known reports whether New can build name with o.
func (r *Registry) Known(name string, o Options) bool {
	f, ok := r.Lookup(name)
	switch {
	case !ok:
		return false
	case f.Known != nil:
		return f.Known(name, o)
	}
	return slices.Contains(f.Names(), name)
}

// Check refuses an option of another family than name's (unless it has
// its neutral value) and a value name's family does not take. A name no
// family owns passes: New reports it.
func (r *Registry) Check(name string, o Options) error {
	own, ok := r.Lookup(name)
	if !ok {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, f := range r.fams {
		for _, opt := range f.Options {
			v := opt.Value(o)
			switch {
			case v == "":
			case f == own && opt.Check != nil:
				if err := opt.Check(v); err != nil {
					return err
				}
			case f != own && v != opt.Neutral:
				return fmt.Errorf("envs: %s applies to %s only (got %q for %s)", opt.Flag, f.Title, v, name)
			}
		}
	}
	return nil
}

// New checks o and builds the named env.
func (r *Registry) New(name string, o Options) (Env, error) {
	if err := checkHistory(o); err != nil {
		return nil, err
	}
	if err := r.Check(name, o); err != nil {
		return nil, err
	}
	f, ok := r.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("envs: unknown environment %q (known: %s)", name, strings.Join(r.Names(), ", "))
	}
	return f.New(name, o)
}

// ErrNoExpert is NewExpert's answer for an env no family has an expert of.
var ErrNoExpert = errors.New("envs: no expert")

// NewExpert returns the scripted expert of an env New built.
func (r *Registry) NewExpert(e Env) (Expert, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, f := range r.fams {
		if f.NewExpert == nil {
			continue
		}
		if x, ok := f.NewExpert(e); ok {
			return x, nil
		}
	}
	return nil, fmt.Errorf("%w for %T", ErrNoExpert, e)
}

// The package's registry, which the families fill in their init.

// Lookup returns the registered family that owns name.
func Lookup(name string) (*Family, bool) { return families.Lookup(name) }

// Families lists the registered families' names, sorted.
func Families() []string { return families.Families() }

// Names lists every registered env name, sorted.
func Names() []string { return families.Names() }

// Known reports whether New can build name with o.
func Known(name string, o Options) bool { return families.Known(name, o) }

// New checks o and builds the named env.
func New(name string, o Options) (Env, error) { return families.New(name, o) }

// NewExpert returns the scripted expert of an env New built.
func NewExpert(e Env) (Expert, error) { return families.NewExpert(e) }

// OptionOf returns the option flag names (such as "--obs") of the family
// that owns env name: whether name takes it, and its neutral value, which
// is what the option means when unset.
func OptionOf(name, flag string) (Option, bool) {
	f, ok := Lookup(name)
	if !ok {
		return Option{}, false
	}
	for _, o := range f.Options {
		if o.Flag == flag {
			return o, true
		}
	}
	return Option{}, false
}

// FamilyOf is the family an env name belongs to: its registered name
// ("cards", "babyai", "miniwob"), else the name's prefix, else the name.
func FamilyOf(name string) string {
	if f, ok := Lookup(name); ok {
		return f.Name
	}
	if f, _, ok := strings.Cut(name, "/"); ok {
		return f
	}
	return name
}
