package hfmodel

import (
	"image"
	"math/rand"
	"testing"

	"vlmq/hfload"
	"vlmq/hfmodel/hftest"
)

// configs are the Tiny configs of every variant of every family
// (hfload.Variant), by name. Sizes exercise grouped-query / multi-query
// attention, partial rotary, an image size that is not a multiple of the
// patch size, and xGen-MM's extra vocabulary.
var configs = func() map[string]string {
	out := map[string]string{}
	for _, v := range hfload.Variants() {
		out[v.Name] = v.Tiny
	}
	return out
}()

const extraVocab = hftest.ExtraVocab // xGen-MM's additional tokens in the fixture

// writeCheckpoint creates a random checkpoint of a variant's Tiny config
// in a new temp folder, with the tensor names and shapes of hfload's plan.
func writeCheckpoint(t testing.TB, variant string, seed int64) string {
	t.Helper()
	return writeCheckpointConfig(t, configs[variant], seed)
}

// writeCheckpointConfig is writeCheckpoint with the given config.json.
func writeCheckpointConfig(t testing.TB, raw string, seed int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := hftest.WriteCheckpoint(dir, raw, seed); err != nil {
		t.Fatal(err)
	}
	return dir
}

// randomImage returns an s×s image of random colours.
func randomImage(r *rand.Rand, s int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, s, s))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.Intn(256))
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	return img
}

func loadFixture(t testing.TB, variant string) *Model {
	t.Helper()
	return loadFixtureConfig(t, configs[variant])
}

// loadFixtureConfig is loadFixture with the given config.json.
func loadFixtureConfig(t testing.TB, raw string) *Model {
	t.Helper()
	m, err := Load(writeCheckpointConfig(t, raw, 1))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
