// Package all imports every Hugging Face VLM family vlmq knows, so that
// their init registers them with hfload; a program that loads Hugging
// Face folders imports it once. It is a package of its own because the
// families import hfload, and hftest (which the hfmodel tests use) needs
// them without importing hfmodel.
package all

// A new family is one more line here.
import (
	_ "vlmq/hfmodel/moondream"
	_ "vlmq/hfmodel/paligemma"
	_ "vlmq/hfmodel/xgenmm"
)
