package vlm

import (
	"fmt"

	"vlmq/nn"
)

// LayerTrainer is a Model that can fine-tune its top decoder layers
// alone (afsft.Config.TrainLayers). It is optional: the trainer asks for
// it only when told to train fewer than all layers.
type LayerTrainer interface {
	// TopLayerParams are the parameters of the top n decoder layers, the
	// final norm and the actor and critic heads, named as in Params; an
	// error when n is not between 1 and the number of decoder layers.
	TopLayerParams(n int) ([]nn.Param, error)
}

// TopLayerParams is m's LayerTrainer.TopLayerParams, or an error that
// says m cannot train its top layers alone.
func TopLayerParams(m Model, n int) ([]nn.Param, error) {
	lt, ok := m.(LayerTrainer)
	if !ok {
		return nil, fmt.Errorf("vlm: training only the top %d layers needs a model that can freeze the rest, and this one (%s) cannot", n, m.Describe())
	}
	return lt.TopLayerParams(n)
}
