package afsft

import (
	"fmt"
	"strconv"

	"vlmq/optim"
	"vlmq/safetensors"
)

// saveOptim stores AdamW moments as safetensors, keyed by parameter name,
// so a resumed run continues with the same optimiser state.
func (t *Trainer) saveOptim(path string) error {
	st := t.Opt.State(t.params)
	names := t.Model.Params()
	f := &safetensors.File{Tensors: map[string]safetensors.Tensor{},
		Metadata: map[string]string{"step": strconv.Itoa(st.Step)}}
	for i, p := range names {
		if st.M[i] == nil {
			continue
		}
		f.Tensors["m."+p.Name] = safetensors.FromFloat32([]int{len(st.M[i])}, st.M[i])
		f.Tensors["v."+p.Name] = safetensors.FromFloat32([]int{len(st.V[i])}, st.V[i])
	}
	if err := safetensors.Write(path, f); err != nil {
		return fmt.Errorf("afsft: save optimiser: %w", err)
	}
	return nil
}

func (t *Trainer) loadOptim(path string) error {
	f, err := safetensors.Read(path)
	if err != nil {
		return fmt.Errorf("afsft: load optimiser: %w", err)
	}
	step, err := strconv.Atoi(f.Metadata["step"])
	if err != nil {
		return fmt.Errorf("afsft: optimiser state %s: bad step %q", path, f.Metadata["step"])
	}
	names := t.Model.Params()
	st := optim.State{Step: step, M: make([][]float32, len(names)), V: make([][]float32, len(names))}
	for i, p := range names {
		m, okm := f.Tensors["m."+p.Name]
		v, okv := f.Tensors["v."+p.Name]
		if !okm && !okv {
			continue
		}
		if okm != okv {
			return fmt.Errorf("afsft: optimiser state %s: %s has only one moment", path, p.Name)
		}
		if st.M[i], err = m.Float32s(); err != nil {
			return fmt.Errorf("afsft: optimiser state %s: %s: %w", path, p.Name, err)
		}
		if st.V[i], err = v.Float32s(); err != nil {
			return fmt.Errorf("afsft: optimiser state %s: %s: %w", path, p.Name, err)
		}
	}
	if err := t.Opt.LoadState(t.params, st); err != nil {
		return fmt.Errorf("afsft: optimiser state %s: %w", path, err)
	}
	return nil
}
