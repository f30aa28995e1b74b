// Package flagspec binds command-line flags to the fields of a spec
// struct, so that each setting is declared once: its flag name and help
// text in the field's tags, its default in the value the spec's Default
// constructor gives the field, and its JSON name in the json tag beside
// them. The command line can then not drift from the specs that runs
// store, and a composite job (the demo) gets every flag of the specs it
// holds, with the same meaning.
//
// Every exported field of a bound struct carries a flag tag:
//
//	LR       float64  `json:"lr" flag:"lr" help:"AdamW learning rate"`
//	Pretrain BaseSpec `json:"pretrain" flag:"pretrain-*" flagomit:"Envs"`
//	Hook     func()   `json:"-" flag:"-"`
//
// A name binds the field (help is then required); "-" leaves it to code;
// "prefix-*" (or "*") binds the fields of a nested or embedded struct
// with prefix before their names, except the nested fields flagomit lists
// by Go name, which the holder sets itself (the demo's env applies to
// every stage). An untagged field is an error rather than silently no
// flag, so that a new setting is a decision. Supported types are string,
// bool, int, int64, uint64 and float64 (and types defined on them, such
// as enums), []string (a comma list; `flag:"name,repeat"` takes one
// value per use instead, for values that may hold commas), and any type
// given a pflag.Value in Values or whose pointer is one.
//
// Each flag is annotated with the Go path of its field (Field), which
// tests use to check that every flag of every command is a spec field.
package flagspec

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// The annotations that hold a flag's field path and the type of the
// struct Bind was given.
const (
	fieldKey = "flagspec-field"
	rootKey  = "flagspec-struct"
)

// Values makes the flag value of a field type with a string form of its
// own (key=value lists, for example) from a pointer to the field.
type Values map[reflect.Type]func(ptr any) pflag.Value

// Bind registers a flag on fs for every tagged field of the struct v
// points to, with the field's current value as its default. It reports
// the first field without a flag tag or help text, of a type it cannot
// bind, or whose flag name is taken.
func Bind(fs *pflag.FlagSet, v any, values Values) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("flagspec: Bind needs a pointer to a struct, not %T", v)
	}
	before := map[string]bool{}
	fs.VisitAll(func(f *pflag.Flag) { before[f.Name] = true })
	if err := bindStruct(fs, rv.Elem(), "", "", nil, values); err != nil {
		return err
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if !before[f.Name] {
			_ = fs.SetAnnotation(f.Name, rootKey, []string{rv.Elem().Type().String()})
		}
	})
	return nil
}

func bindStruct(fs *pflag.FlagSet, sv reflect.Value, prefix, path string, omit []string, values Values) error {
	st := sv.Type()
	for _, name := range omit {
		if _, ok := st.FieldByName(name); !ok {
			return fmt.Errorf("flagspec: %s: flagomit names %s, which %s does not have", path, name, st)
		}
	}
	for i := range st.NumField() {
		f := st.Field(i)
		if !f.IsExported() || slices.Contains(omit, f.Name) {
			continue
		}
		fpath := f.Name
		if path != "" {
			fpath = path + "." + f.Name
		}
		tag, ok := f.Tag.Lookup("flag")
		switch {
		case !ok || tag == "":
			return fmt.Errorf(`flagspec: field %s.%s has no flag tag: give it a flag name, "-" (not a flag) or "prefix-*" (a nested spec)`, st, fpath)
		case tag == "-":
			continue
		case strings.HasSuffix(tag, "*"):
			if f.Type.Kind() != reflect.Struct {
				return fmt.Errorf("flagspec: field %s.%s is tagged %q but is a %s, not a struct", st, fpath, tag, f.Type)
			}
			var sub []string
			if o := f.Tag.Get("flagomit"); o != "" {
				sub = strings.Split(o, ",")
			}
			if err := bindStruct(fs, sv.Field(i), prefix+strings.TrimSuffix(tag, "*"), fpath, sub, values); err != nil {
				return err
			}
			continue
		}
		name, opt, _ := strings.Cut(tag, ",")
		name = prefix + name
		help := f.Tag.Get("help")
		if help == "" {
			return fmt.Errorf("flagspec: field %s.%s (--%s) has no help tag", st, fpath, name)
		}
		if old := fs.Lookup(name); old != nil {
			return fmt.Errorf("flagspec: --%s is bound twice, to %s and %s", name, Field(old), fpath)
		}
		if err := bindField(fs, sv.Field(i), name, opt, help, values); err != nil {
			return fmt.Errorf("flagspec: field %s.%s (--%s): %w", st, fpath, name, err)
		}
		_ = fs.SetAnnotation(name, fieldKey, []string{fpath})
	}
	return nil
}

func bindField(fs *pflag.FlagSet, fv reflect.Value, name, opt, help string, values Values) error {
	if opt != "" && (opt != "repeat" || fv.Type() != reflect.TypeFor[[]string]()) {
		return fmt.Errorf("unknown option %q (only []string fields take \"repeat\")", opt)
	}
	ptr := fv.Addr()
	if mk, ok := values[fv.Type()]; ok {
		fs.Var(mk(ptr.Interface()), name, help)
		return nil
	}
	if v, ok := ptr.Interface().(pflag.Value); ok {
		fs.Var(v, name, help)
		return nil
	}
	// Types defined on a basic kind (enums such as afsft.Mode) are bound
	// through a pointer of the kind's own type: they share its layout.
	p := ptr.UnsafePointer()
	switch fv.Kind() {
	case reflect.String:
		fs.StringVar((*string)(p), name, fv.String(), help)
	case reflect.Bool:
		fs.BoolVar((*bool)(p), name, fv.Bool(), help)
	case reflect.Int:
		fs.IntVar((*int)(p), name, int(fv.Int()), help)
	case reflect.Int64:
		fs.Int64Var((*int64)(p), name, fv.Int(), help)
	case reflect.Uint64:
		fs.Uint64Var((*uint64)(p), name, fv.Uint(), help)
	case reflect.Float64:
		fs.Float64Var((*float64)(p), name, fv.Float(), help)
	case reflect.Slice:
		if fv.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("type %s has no flag form", fv.Type())
		}
		s := (*[]string)(p)
		if opt == "repeat" {
			fs.StringArrayVar(s, name, *s, help)
		} else {
			fs.StringSliceVar(s, name, *s, help)
		}
	default:
		return fmt.Errorf("type %s has no flag form (give it a pflag.Value in Values)", fv.Type())
	}
	return nil
}

// Field is the Go path of the spec field flag f sets ("Train.LR"), or ""
// when Bind did not make it.
func Field(f *pflag.Flag) string {
	if p := f.Annotations[fieldKey]; len(p) == 1 {
		return p[0]
	}
	return ""
}

// Rename keeps an old flag name working as name, hidden from the help:
// using it sets the same field and prints that name replaces it.
func Rename(fs *pflag.FlagSet, old, name string) error {
	f := fs.Lookup(name)
	if f == nil {
		return fmt.Errorf("flagspec: rename of --%s to --%s, which is not a flag", old, name)
	}
	o := fs.VarPF(f.Value, old, "", f.Usage)
	o.NoOptDefVal = f.NoOptDefVal
	o.Annotations = map[string][]string{fieldKey: f.Annotations[fieldKey], rootKey: f.Annotations[rootKey]}
	return fs.MarkDeprecated(old, "it is now --"+name)
}

// CopyChanged copies, from the struct src points to into dst's, the
// fields whose flags the command line set (flags bound to other structs,
// such as a parent command's, are left alone): a preset chosen by one
// flag (the demo's --fast) then keeps every setting given explicitly.
func CopyChanged(fs *pflag.FlagSet, src, dst any) error {
	s, d := reflect.ValueOf(src).Elem(), reflect.ValueOf(dst).Elem()
	if s.Type() != d.Type() {
		return fmt.Errorf("flagspec: CopyChanged from %s to %s", s.Type(), d.Type())
	}
	fs.Visit(func(f *pflag.Flag) {
		p := Field(f)
		if r := f.Annotations[rootKey]; p == "" || len(r) != 1 || r[0] != s.Type().String() {
			return
		}
		sf, df := s, d
		for _, n := range strings.Split(p, ".") {
			sf, df = sf.FieldByName(n), df.FieldByName(n)
		}
		df.Set(sf)
	})
	return nil
}
