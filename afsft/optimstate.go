package afsft

import "vlmq/vlm"

// saveOptim stores the AdamW moments so a resumed run continues with the
// same optimiser state.
func (t *Trainer) saveOptim(path string) error {
	return vlm.SaveOptim(path, t.Opt, t.Model.Trainable())
}

func (t *Trainer) loadOptim(path string) error {
	return vlm.LoadOptim(path, t.Opt, t.Model.Trainable())
}
