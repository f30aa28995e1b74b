package model

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"vlmq/atomicfile"
	"vlmq/jsonfile"
	"vlmq/safetensors"
	"vlmq/tokenizer"
)

// File names inside a checkpoint directory.
const (
	WeightsFile   = "model.safetensors"
	ConfigFile    = "config.json"
	TokenizerFile = "tokenizer.json"
)

// SaveOptions are the choices of SaveWith.
type SaveOptions struct {
	// DType stores the weights as F32 (default), F16 or BF16; loading
	// widens them back to float32.
	DType safetensors.DType
	// Extra files (name to contents) published in the same folder.
	Extra map[string][]byte
	// Card, when set, makes the model card (CardFile) from the SHA-256 of
	// the written weights; Load then checks the weights against it.
	Card func(weightsSHA256 string) []byte
}

// CardFile is the model card; its front matter line "weights_sha256: HEX"
// pins the weights file.
const CardFile = "README.md"

// cardSHAKey starts the card line that holds the weights' SHA-256.
const cardSHAKey = "weights_sha256:"

// CardSHALine is the front-matter line a card carries for its weights.
func CardSHALine(sha string) string { return cardSHAKey + " " + sha }

// Save writes model.safetensors, config.json and tokenizer.json as one
// folder, published whole (atomicfile.PublishDir): a crash or a reader
// never sees new weights beside an old vocabulary.
func Save(dir string, m *VLM) error { return SaveWith(dir, m, SaveOptions{}) }

// SaveWith is Save with a weight storage type and extra files.
func SaveWith(dir string, m *VLM, o SaveOptions) error {
	dt := o.DType
	if dt == "" {
		dt = safetensors.F32
	}
	err := atomicfile.PublishDir(dir, atomicfile.KindModel, func(tmp string) error {
		if err := m.Tok.Save(filepath.Join(tmp, TokenizerFile)); err != nil {
			return fmt.Errorf("saving tokenizer: %w", err)
		}
		if err := jsonfile.Write(filepath.Join(tmp, ConfigFile), m.Cfg); err != nil {
			return err
		}
		f := &safetensors.File{Tensors: map[string]safetensors.Tensor{}, Metadata: map[string]string{"format": "pt"}}
		for _, p := range m.Params() {
			t, err := safetensors.FromFloat32As(dt, p.T.Shape, p.T.Data)
			if err != nil {
				return err
			}
			f.Tensors[p.Name] = t
		}
		if err := safetensors.Write(filepath.Join(tmp, WeightsFile), f); err != nil {
			return err
		}
		if o.Card != nil {
			sum, err := fileSHA256(filepath.Join(tmp, WeightsFile))
			if err != nil {
				return err
			}
			if err := atomicfile.Write(filepath.Join(tmp, CardFile), o.Card(sum)); err != nil {
				return err
			}
		}
		for name, data := range o.Extra {
			if err := atomicfile.Write(filepath.Join(tmp, name), data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("model: save %s: %w", dir, err)
	}
	return nil
}

// Load reads a checkpoint written by Save. Every parameter must be present
// with its exact shape; unknown tensors are an error too (they would mean
// the file belongs to a different architecture). A folder whose model card
// pins the weights' SHA-256 must match it. Loading writes nothing, so it
// works from read-only storage.
func Load(dir string) (*VLM, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("model: %s is not a model folder", dir)
	}
	return LoadFS(os.DirFS(dir), dir)
}

// LoadFS reads a model folder from fsys (its root); name labels errors.
// It serves the model embedded in the binary as well as folders on disk.
func LoadFS(fsys fs.FS, name string) (*VLM, error) {
	read := func(f string) ([]byte, error) {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("model: %s: %w", filepath.Join(name, f), err)
		}
		return b, nil
	}
	b, err := read(ConfigFile)
	if err != nil {
		return nil, err
	}
	var cfg Config
	if err := jsonfile.Decode(b, &cfg, true); err != nil {
		return nil, fmt.Errorf("model: config %s: %w", filepath.Join(name, ConfigFile), err)
	}
	if b, err = read(TokenizerFile); err != nil {
		return nil, err
	}
	tok, err := tokenizer.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("model: %w (in %s)", err, filepath.Join(name, TokenizerFile))
	}
	if cfg.Vocab != tok.VocabSize() {
		return nil, fmt.Errorf("model: config vocab %d but %s has %d tokens", cfg.Vocab, TokenizerFile, tok.VocabSize())
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("model: %s: %w", filepath.Join(name, ConfigFile), err)
	}
	weights, err := read(WeightsFile)
	if err != nil {
		return nil, err
	}
	if err := checkCard(fsys, name, weights); err != nil {
		return nil, err
	}
	f, err := safetensors.ReadBytes(weights)
	if err != nil {
		return nil, fmt.Errorf("model: %s: %w", filepath.Join(name, WeightsFile), err)
	}
	// Compare sizes before allocating: a config.json edited to a much
	// larger model would otherwise allocate it (gigabytes, within
	// MaxParams) only to find the weights do not fit.
	if have, want := numElements(f), cfg.ParamCount(); have != want {
		return nil, fmt.Errorf("model: %s holds %.0f weights but %s describes a model of %.0f parameters",
			filepath.Join(name, WeightsFile), have, filepath.Join(name, ConfigFile), want)
	}
	m, err := New(cfg, tok, 0)
	if err != nil {
		return nil, err
	}
	if err := m.setWeights(f); err != nil {
		return nil, fmt.Errorf("model: %s: %w", filepath.Join(name, WeightsFile), err)
	}
	return m, nil
}

// numElements is the number of values f's tensors hold (a float64, so
// absurd shapes cannot overflow).
func numElements(f *safetensors.File) float64 {
	n := 0.0
	for _, t := range f.Tensors {
		k := 1.0
		for _, d := range t.Shape {
			k *= float64(d)
		}
		n += k
	}
	return n
}

func (m *VLM) setWeights(f *safetensors.File) error {
	var errs []error
	want := map[string]bool{}
	for _, p := range m.Params() {
		want[p.Name] = true
		t, ok := f.Tensors[p.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("missing tensor %q", p.Name))
			continue
		}
		if !slices.Equal(t.Shape, p.T.Shape) {
			errs = append(errs, fmt.Errorf("tensor %q has shape %v, want %v", p.Name, t.Shape, p.T.Shape))
			continue
		}
		data, err := t.Float32s()
		if err != nil {
			errs = append(errs, fmt.Errorf("tensor %q: %w", p.Name, err))
			continue
		}
		if i := firstNonFinite(data); i >= 0 {
			errs = append(errs, fmt.Errorf("tensor %q holds a non-finite value (%v at %d)", p.Name, data[i], i))
			continue
		}
		copy(p.T.Data, data)
	}
	for _, n := range f.Names() {
		if !want[n] {
			errs = append(errs, fmt.Errorf("unexpected tensor %q", n))
		}
	}
	if len(errs) > 5 {
		errs = append(errs[:5], fmt.Errorf("and %d more problems", len(errs)-5))
	}
	return errors.Join(errs...)
}

// firstNonFinite is the index of the first NaN or infinity, or -1: a
// model with such a weight would play (and be trained on) garbage.
func firstNonFinite(xs []float32) int {
	for i, x := range xs {
		if x != x || x > math.MaxFloat32 || x < -math.MaxFloat32 {
			return i
		}
	}
	return -1
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkCard verifies the weights against the SHA-256 that the folder's
// model card names, when it names one: a shipped model that was replaced
// or damaged must not load as if it were the documented one.
func checkCard(fsys fs.FS, name string, weights []byte) error {
	card, err := fs.ReadFile(fsys, CardFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	var want string
	for _, line := range strings.Split(string(card), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), cardSHAKey); ok {
			want = strings.TrimSpace(rest)
			break
		}
	}
	if want == "" {
		return nil
	}
	sum := sha256.Sum256(weights)
	if got := hex.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("model: %s has SHA-256 %s, but its model card %s says %s: the weights are not the ones the card documents (rebuild them with the card's command, or restore the file)",
			filepath.Join(name, WeightsFile), got, filepath.Join(name, CardFile), want)
	}
	return nil
}
