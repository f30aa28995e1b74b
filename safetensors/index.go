package safetensors

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"vlmq/jsonfile"
)

// Standard file names of a Hugging Face model folder.
const (
	SingleFileName = "model.safetensors"
	IndexFileName  = "model.safetensors.index.json"
)

// Index is the content of model.safetensors.index.json.
type Index struct {
	Metadata  map[string]any    `json:"metadata,omitempty"`
	WeightMap map[string]string `json:"weight_map"`
}

// ReadIndex reads and checks an index file: every shard must be a plain file
// name inside the folder (no paths), and the map must not be empty.
func ReadIndex(path string) (*Index, error) {
	var ix Index
	if err := jsonfile.Read(path, &ix); err != nil {
		return nil, fmt.Errorf("safetensors index: %w", err)
	}
	if len(ix.WeightMap) == 0 {
		return nil, fmt.Errorf("safetensors index: %s: %w: weight_map is missing or empty", path, ErrInvalid)
	}
	for name, shard := range ix.WeightMap {
		if shard == "" || shard != filepath.Base(shard) || shard == "." || shard == ".." || strings.ContainsAny(shard, `/\`) {
			return nil, fmt.Errorf("safetensors index: %s: %w: tensor %q maps to %q, which is not a file name in the model folder", path, ErrInvalid, name, shard)
		}
	}
	return &ix, nil
}

// Shards returns the distinct shard file names in sorted order.
func (ix *Index) Shards() []string {
	set := map[string]bool{}
	for _, s := range ix.WeightMap {
		set[s] = true
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// ReadIndexed loads all weights of a Hugging Face model folder: the shards
// listed in model.safetensors.index.json if present, else model.safetensors.
// Every tensor must live in exactly the shard the index names; metadata of
// the shards is merged (the first shard in sorted order wins on conflicts).
func ReadIndexed(dir string) (*File, error) {
	tensors, meta, _, err := readFolder(dir, func(path string) (map[string]Tensor, map[string]string, error) {
		f, err := Read(path)
		if err != nil {
			return nil, nil, err
		}
		return f.Tensors, f.Metadata, nil
	})
	if err != nil {
		return nil, err
	}
	return &File{Tensors: tensors, Metadata: meta}, nil
}

// FolderHeader describes the tensors of a model folder from the file
// headers only.
type FolderHeader struct {
	Tensors  map[string]TensorInfo
	Metadata map[string]string
	// Files maps each tensor name to the file (relative to the folder) that
	// holds it.
	Files map[string]string
}

// Names returns the tensor names in sorted order.
func (h *FolderHeader) Names() []string {
	return (&Header{Tensors: h.Tensors}).Names()
}

// ReadFolderHeader is ReadIndexed without loading tensor data: it reads and
// validates every shard's header and the index, so a checkpoint can be
// inspected without reading gigabytes.
func ReadFolderHeader(dir string) (*FolderHeader, error) {
	tensors, meta, files, err := readFolder(dir, func(path string) (map[string]TensorInfo, map[string]string, error) {
		h, err := ReadHeader(path)
		if err != nil {
			return nil, nil, err
		}
		return h.Tensors, h.Metadata, nil
	})
	if err != nil {
		return nil, err
	}
	return &FolderHeader{Tensors: tensors, Metadata: meta, Files: files}, nil
}

// readFolder implements the shard/index consistency rules once for both
// full reads and header-only reads.
func readFolder[T any](dir string, read func(path string) (map[string]T, map[string]string, error)) (map[string]T, map[string]string, map[string]string, error) {
	ixPath := filepath.Join(dir, IndexFileName)
	ix, err := ReadIndex(ixPath)
	if errors.Is(err, fs.ErrNotExist) {
		single := filepath.Join(dir, SingleFileName)
		if _, serr := os.Stat(single); serr != nil {
			return nil, nil, nil, fmt.Errorf("safetensors: %s has neither %s nor %s", dir, IndexFileName, SingleFileName)
		}
		tensors, meta, err := read(single)
		if err != nil {
			return nil, nil, nil, err
		}
		files := make(map[string]string, len(tensors))
		for name := range tensors {
			files[name] = SingleFileName
		}
		return tensors, meta, files, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	out := map[string]T{}
	meta := map[string]string{}
	files := map[string]string{}
	for _, shard := range ix.Shards() {
		tensors, m, err := read(filepath.Join(dir, shard))
		if err != nil {
			return nil, nil, nil, err
		}
		for name, t := range tensors {
			want, ok := ix.WeightMap[name]
			switch {
			case !ok:
				return nil, nil, nil, fmt.Errorf("safetensors: %s: %w: tensor %q is not listed in %s", shard, ErrInvalid, name, IndexFileName)
			case want != shard:
				return nil, nil, nil, fmt.Errorf("safetensors: %s: %w: tensor %q is listed under shard %s in %s", shard, ErrInvalid, name, want, IndexFileName)
			}
			out[name] = t
			files[name] = shard
		}
		for k, v := range m {
			if _, ok := meta[k]; !ok {
				meta[k] = v
			}
		}
	}
	var missing []string
	for name := range ix.WeightMap {
		if _, ok := out[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, nil, nil, fmt.Errorf("safetensors: %s: %w: %d tensors listed in the index are missing from their shards, e.g. %q in %s", dir, ErrInvalid, len(missing), missing[0], ix.WeightMap[missing[0]])
	}
	return out, meta, files, nil
}

// WriteSharded stores f in dir the way Hugging Face does: a single
// model.safetensors when it fits in maxShardBytes (or maxShardBytes <= 0),
// else model-0000i-of-0000n.safetensors shards of at most maxShardBytes of
// tensor data each (a larger tensor gets a shard of its own) plus an index.
// Shards are written before the index, each atomically; readers prefer the
// index, so a model.safetensors from an earlier save is ignored, and an
// earlier index is removed when a single file is written.
func WriteSharded(dir string, f *File, maxShardBytes int64) error {
	names := f.Names()
	var groups [][]string
	var cur []string
	var curSize, total int64
	for _, name := range names {
		sz := int64(len(f.Tensors[name].Data))
		total += sz
		if maxShardBytes > 0 && len(cur) > 0 && curSize+sz > maxShardBytes {
			groups = append(groups, cur)
			cur, curSize = nil, 0
		}
		cur = append(cur, name)
		curSize += sz
	}
	if len(cur) > 0 || len(groups) == 0 {
		groups = append(groups, cur)
	}
	if len(groups) == 1 {
		if err := Write(filepath.Join(dir, SingleFileName), f); err != nil {
			return err
		}
		// An index left by an earlier sharded save would take precedence
		// over the new file when reading, so it must go.
		if err := os.Remove(filepath.Join(dir, IndexFileName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("safetensors: removing stale index: %w", err)
		}
		return nil
	}
	ix := Index{Metadata: map[string]any{"total_size": total}, WeightMap: map[string]string{}}
	for i, g := range groups {
		shard := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(groups))
		part := &File{Tensors: map[string]Tensor{}, Metadata: f.Metadata}
		for _, name := range g {
			part.Tensors[name] = f.Tensors[name]
			ix.WeightMap[name] = shard
		}
		if err := Write(filepath.Join(dir, shard), part); err != nil {
			return err
		}
	}
	return jsonfile.Write(filepath.Join(dir, IndexFileName), ix)
}
