package vlm

import (
	"fmt"
	"strconv"

	"vlmq/nn"
	"vlmq/optim"
	"vlmq/safetensors"
)

// SaveOptim stores AdamW's step count and moments for params as
// safetensors keyed by parameter name, so a resumed run continues with the
// optimiser state it had. Parameters without moments are left out.
func SaveOptim(path string, opt *optim.AdamW, params []nn.Param) error {
	st := opt.State(nn.Tensors(params))
	f := &safetensors.File{Tensors: map[string]safetensors.Tensor{},
		Metadata: map[string]string{"step": strconv.Itoa(st.Step)}}
	for i, p := range params {
		if st.M[i] == nil {
			continue
		}
		f.Tensors["m."+p.Name] = safetensors.FromFloat32([]int{len(st.M[i])}, st.M[i])
		f.Tensors["v."+p.Name] = safetensors.FromFloat32([]int{len(st.V[i])}, st.V[i])
	}
	if err := safetensors.Write(path, f); err != nil {
		return fmt.Errorf("vlm: save optimiser: %w", err)
	}
	return nil
}

// LoadOptim restores what SaveOptim wrote into opt, for the same params.
func LoadOptim(path string, opt *optim.AdamW, params []nn.Param) error {
	f, err := safetensors.Read(path)
	if err != nil {
		return fmt.Errorf("vlm: load optimiser: %w", err)
	}
	step, err := strconv.Atoi(f.Metadata["step"])
	if err != nil || step < 0 {
		return fmt.Errorf("vlm: optimiser state %s: bad step %q", path, f.Metadata["step"])
	}
	st := optim.State{Step: step, M: make([][]float32, len(params)), V: make([][]float32, len(params))}
	for i, p := range params {
		m, okm := f.Tensors["m."+p.Name]
		v, okv := f.Tensors["v."+p.Name]
		if !okm && !okv {
			continue
		}
		if okm != okv {
			return fmt.Errorf("vlm: optimiser state %s: %s has only one moment", path, p.Name)
		}
		if st.M[i], err = m.Float32s(); err != nil {
			return fmt.Errorf("vlm: optimiser state %s: %s: %w", path, p.Name, err)
		}
		if st.V[i], err = v.Float32s(); err != nil {
			return fmt.Errorf("vlm: optimiser state %s: %s: %w", path, p.Name, err)
		}
	}
	if err := opt.LoadState(nn.Tensors(params), st); err != nil {
		return fmt.Errorf("vlm: optimiser state %s: %w", path, err)
	}
	return nil
}
