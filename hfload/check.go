package hfload

import (
	"fmt"
	"sort"
	"strings"

	"vlmq/safetensors"
)

// Mismatch is a tensor present under the expected name but with the wrong
// shape or a non-floating-point dtype.
type Mismatch struct {
	Name      string
	WantShape []int
	GotShape  []int
	DType     safetensors.DType
}

func (m Mismatch) String() string {
	if !shapeMatches(m.WantShape, m.GotShape) {
		return fmt.Sprintf("%s: shape %v, want %v", m.Name, m.GotShape, shapeString(m.WantShape))
	}
	return fmt.Sprintf("%s: dtype %s is not a floating-point type", m.Name, m.DType)
}

// CheckError reports every way a folder's tensors differ from the plan.
type CheckError struct {
	Dir        string
	Family     string
	Layout     Layout
	Missing    []WeightSpec // required tensors that are absent
	Unexpected []string     // tensors the plan does not know
	Mismatched []Mismatch
}

func (e *CheckError) Error() string {
	var parts []string
	const show = 3
	if n := len(e.Missing); n > 0 {
		names := make([]string, 0, show)
		for _, s := range e.Missing[:min(n, show)] {
			names = append(names, fmt.Sprintf("%s %v", s.Name, shapeString(s.Shape)))
		}
		parts = append(parts, fmt.Sprintf("%d missing (%s%s)", n, strings.Join(names, ", "), more(n, show)))
	}
	if n := len(e.Unexpected); n > 0 {
		parts = append(parts, fmt.Sprintf("%d unexpected (%s%s)", n, strings.Join(e.Unexpected[:min(n, show)], ", "), more(n, show)))
	}
	if n := len(e.Mismatched); n > 0 {
		ms := make([]string, 0, show)
		for _, m := range e.Mismatched[:min(n, show)] {
			ms = append(ms, m.String())
		}
		parts = append(parts, fmt.Sprintf("%d mismatched (%s%s)", n, strings.Join(ms, "; "), more(n, show)))
	}
	return fmt.Sprintf("hfload: %s: weights do not match the %s plan (layout %s): %s", e.Dir, e.Family, e.Layout, strings.Join(parts, "; "))
}

func more(n, shown int) string {
	if n > shown {
		return ", ..."
	}
	return ""
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d == Any {
			parts[i] = "*"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func shapeMatches(want, got []int) bool {
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		if want[i] != Any && want[i] != got[i] {
			return false
		}
	}
	return true
}

func isFloat(d safetensors.DType) bool {
	switch d {
	case safetensors.F32, safetensors.F16, safetensors.BF16, safetensors.F64:
		return true
	}
	return false
}

// Checked is the result of a successful Check.
type Checked struct {
	Config *Config
	Plan   []WeightSpec
	// Header describes the folder's tensors (names as stored).
	Header *safetensors.FolderHeader
	// Stored maps each plan Name present in the folder to the stored name
	// (they differ where the family's StoredName says so).
	Stored map[string]string
}

// Check validates a model folder: config.json must parse, and the
// safetensors headers (single file or sharded with an index) must hold
// exactly the plan's tensors with the plan's shapes. Tensor data is not
// read. A mismatch yields a *CheckError listing every problem.
func Check(dir string) (*Checked, error) {
	cfg, err := ParseConfig(dir)
	if err != nil {
		return nil, err
	}
	fam, err := Lookup(cfg.Family)
	if err != nil {
		return nil, err
	}
	hdr, err := safetensors.ReadFolderHeader(dir)
	if err != nil {
		return nil, fmt.Errorf("hfload: %w", err)
	}
	stored := map[string]string{}
	for _, name := range hdr.Names() {
		canon := name
		if fam.StoredName != nil {
			canon = fam.StoredName(name)
		}
		if prev, dup := stored[canon]; dup {
			return nil, fmt.Errorf("hfload: %s: tensors %q and %q both stand for %q", dir, prev, name, canon)
		}
		stored[canon] = name
	}
	if fam.DetectLayout != nil {
		cfg.Layout = fam.DetectLayout(cfg, func(prefix string) bool {
			for n := range stored {
				if strings.HasPrefix(n, prefix) {
					return true
				}
			}
			return false
		})
	}
	plan, err := Plan(cfg)
	if err != nil {
		return nil, err
	}
	cerr := &CheckError{Dir: dir, Family: cfg.Family, Layout: cfg.Layout}
	known := make(map[string]bool, len(plan))
	for _, s := range plan {
		known[s.Name] = true
		name, ok := stored[s.Name]
		if !ok {
			if !s.Optional {
				cerr.Missing = append(cerr.Missing, s)
			}
			continue
		}
		ti := hdr.Tensors[name]
		if !shapeMatches(s.Shape, ti.Shape) || !isFloat(ti.DType) {
			cerr.Mismatched = append(cerr.Mismatched, Mismatch{Name: name, WantShape: s.Shape, GotShape: ti.Shape, DType: ti.DType})
		}
	}
	for canon, name := range stored {
		if !known[canon] && (fam.Ignored == nil || !fam.Ignored(canon)) {
			cerr.Unexpected = append(cerr.Unexpected, name)
		}
	}
	sort.Strings(cerr.Unexpected)
	if len(cerr.Missing)+len(cerr.Unexpected)+len(cerr.Mismatched) > 0 {
		return nil, cerr
	}
	for canon := range stored {
		if !known[canon] {
			delete(stored, canon)
		}
	}
	return &Checked{Config: cfg, Plan: plan, Header: hdr, Stored: stored}, nil
}

// Load checks dir and reads its weights, returning them under the plan's
// family-neutral keys (see WeightSpec.Key). Optional tensors that are absent
// (such as a tied lm_head) have no entry.
func Load(dir string) (*Config, map[string]safetensors.Tensor, error) {
	chk, err := Check(dir)
	if err != nil {
		return nil, nil, err
	}
	f, err := safetensors.ReadIndexed(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("hfload: %w", err)
	}
	out := make(map[string]safetensors.Tensor, len(chk.Plan))
	for _, s := range chk.Plan {
		if name, ok := chk.Stored[s.Name]; ok {
			t, ok := f.Tensors[name]
			if !ok { // the folder changed between Check and the read
				return nil, nil, fmt.Errorf("hfload: %s: tensor %q disappeared while loading", dir, name)
			}
			if !shapeMatches(s.Shape, t.Shape) {
				return nil, nil, fmt.Errorf("hfload: %s: tensor %q changed shape while loading", dir, name)
			}
			out[s.Key] = t
		}
	}
	return chk.Config, out, nil
}
