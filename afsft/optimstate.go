package afsft

import "vlmq/model"

// saveOptim stores the AdamW moments so a resumed run continues with the
// same optimiser state.
func (t *Trainer) saveOptim(path string) error {
	return model.SaveOptim(path, t.Opt, t.Model.Params())
}

func (t *Trainer) loadOptim(path string) error {
	return model.LoadOptim(path, t.Opt, t.Model.Params())
}
