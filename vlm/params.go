package vlm

import (
	"fmt"

	"vlmq/nn"
	"vlmq/safetensors"
)

// SaveParams stores the values of params as float32 safetensors keyed by
// parameter name: a snapshot of a model's weights (a run's best validation
// step) that LoadParams puts back into a model of the same architecture.
func SaveParams(path string, params []nn.Param) error {
	f := &safetensors.File{Tensors: map[string]safetensors.Tensor{}}
	for _, p := range params {
		if _, dup := f.Tensors[p.Name]; dup {
			return fmt.Errorf("vlm: save params: %s twice", p.Name)
		}
		f.Tensors[p.Name] = safetensors.FromFloat32([]int{len(p.T.Data)}, p.T.Data)
	}
	if err := safetensors.Write(path, f); err != nil {
		return fmt.Errorf("vlm: save params: %w", err)
	}
	return nil
}

// LoadParams copies what SaveParams wrote into params, which must have
// exactly the names and sizes saved.
func LoadParams(path string, params []nn.Param) error {
	f, err := safetensors.Read(path)
	if err != nil {
		return fmt.Errorf("vlm: load params: %w", err)
	}
	if len(f.Tensors) != len(params) {
		return fmt.Errorf("vlm: params %s hold %d tensors, the model has %d", path, len(f.Tensors), len(params))
	}
	for _, p := range params {
		t, ok := f.Tensors[p.Name]
		if !ok {
			return fmt.Errorf("vlm: params %s lack %s", path, p.Name)
		}
		v, err := t.Float32s()
		if err != nil {
			return fmt.Errorf("vlm: params %s: %s: %w", path, p.Name, err)
		}
		if len(v) != len(p.T.Data) {
			return fmt.Errorf("vlm: params %s: %s has %d values, the model %d", path, p.Name, len(v), len(p.T.Data))
		}
		copy(p.T.Data, v)
	}
	return nil
}
