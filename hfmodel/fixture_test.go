package hfmodel

import (
	"image"
	"math/rand"
	"testing"

	"vlmq/hfload"
	"vlmq/hfmodel/hftest"
)

// Tiny configs of each family. Sizes exercise grouped-query / multi-query
// attention, partial rotary, an image size that is not a multiple of the
// patch size, and xGen-MM's extra vocabulary.
var configs = map[hfload.Family]string{
	hfload.PaliGemma: `{"model_type": "paligemma", "architectures": ["PaliGemmaForConditionalGeneration"],
  "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0, "projection_dim": 24, "torch_dtype": "bfloat16",
  "vision_config": {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
    "patch_size": 4, "image_size": 16, "layer_norm_eps": 1e-6},
  "text_config": {"model_type": "gemma", "hidden_size": 24, "intermediate_size": 40, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 8, "vocab_size": 50, "rms_norm_eps": 1e-6,
    "max_position_embeddings": 64}}`,
	hfload.XGenMM: `{"model_type": "xgenmm", "architectures": ["XGenMMModelForConditionalGeneration"],
  "vision_encoder_config": {"model_name": "google/siglip-so400m-patch14-384", "hidden_size": 16,
    "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "patch_size": 4, "image_size": 18},
  "vision_tokenizer_config": {"vis_feature_dim": 16, "lang_embedding_dim": 32, "num_vis_tokens": 6, "depth": 2,
    "heads": 2, "dim_head": 8, "ff_mult": 2},
  "text_config": {"model_type": "phi3", "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 40, "bos_token_id": 1, "eos_token_id": 2,
    "pad_token_id": 0, "max_position_embeddings": 64}}`,
	hfload.Moondream: `{"model_type": "moondream1", "architectures": ["Moondream"],
  "vision_config": {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
    "patch_size": 4, "image_size": 16, "proj_inner_dim": 40},
  "text_config": {"model_type": "phi", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
    "num_attention_heads": 4, "vocab_size": 45, "partial_rotary_factor": 0.5, "bos_token_id": 3,
    "eos_token_id": 4, "max_position_embeddings": 64}}`,
}

const extraVocab = hftest.ExtraVocab // xGen-MM's additional tokens in the fixture

// writeCheckpoint creates a random checkpoint of family in a new temp
// folder, with the tensor names and shapes of hfload's plan.
func writeCheckpoint(t testing.TB, fam hfload.Family, seed int64) string {
	t.Helper()
	return writeCheckpointConfig(t, fam, configs[fam], seed)
}

// writeCheckpointConfig is writeCheckpoint with the given config.json.
func writeCheckpointConfig(t testing.TB, fam hfload.Family, raw string, seed int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := hftest.WriteCheckpoint(dir, fam, raw, seed); err != nil {
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

func loadFixture(t testing.TB, fam hfload.Family) *Model {
	t.Helper()
	return loadFixtureConfig(t, fam, configs[fam])
}

// loadFixtureConfig is loadFixture with the given config.json.
func loadFixtureConfig(t testing.TB, fam hfload.Family, raw string) *Model {
	t.Helper()
	m, err := Load(writeCheckpointConfig(t, fam, raw, 1))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// decoders are the tiny configs of each family plus PaliGemma 2, whose
// Gemma 2 decoder has its own code paths (sandwich norms, soft-caps,
// sliding window): for tests of what every decoder must do.
var decoders = []struct {
	name   string
	fam    hfload.Family
	config string
}{
	{"paligemma", hfload.PaliGemma, configs[hfload.PaliGemma]},
	{"paligemma2", hfload.PaliGemma, paligemma2Config},
	{"xgenmm", hfload.XGenMM, configs[hfload.XGenMM]},
	{"moondream2", hfload.Moondream, configs[hfload.Moondream]},
}
