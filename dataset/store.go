package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"weak"

	"vlmq/atomicfile"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// turnRow is the on-disk row: one per turn, with the episode-level fields
// repeated, so the shard is a flat table any Parquet reader can use.
type turnRow struct {
	Episode        int64   `parquet:"episode"`
	Turn           int64   `parquet:"turn"`
	Env            string  `parquet:"env,dict"`
	Seed           int64   `parquet:"seed"`
	Image          []byte  `parquet:"image"`
	Prompt         string  `parquet:"prompt"`
	Reply          string  `parquet:"reply"`
	ReplyTokens    []int32 `parquet:"reply_tokens,list"`
	Reward         float64 `parquet:"reward"`
	Valid          bool    `parquet:"valid"`
	Done           bool    `parquet:"done"`
	Success        bool    `parquet:"success"`
	Source         string  `parquet:"source,dict"`
	EpisodeReturn  float64 `parquet:"episode_return"`
	EpisodeSuccess bool    `parquet:"episode_success"`
}

// shardMeta is kept in the shard's key/value metadata so that Open learns
// IDs and counts from footers alone, and reads can verify completeness.
type shardMeta struct {
	Format   int      `json:"format"`
	IDs      []int64  `json:"ids"`
	Turns    int      `json:"turns"`
	Sources  []string `json:"sources"`
	Episodes int      `json:"episodes"`
	// SourceCounts is the episodes of each source, so that a resumed
	// collection counts its episodes without decoding shards (absent in
	// shards written before it existed).
	SourceCounts map[string]int `json:"source_counts,omitempty"`
}

const (
	metaKey      = "vlmq.dataset"
	metaFormat   = 1
	tempPrefix   = ".shard-"
	tempSuffix   = ".tmp"
	shardPattern = `^shard-([0-9]{6,})\.parquet$`
)

var shardRE = regexp.MustCompile(shardPattern)

// ShardName is the file name of shard number n.
func ShardName(n int) string { return fmt.Sprintf("shard-%06d.parquet", n) }

type shard struct {
	num  int
	path string
	meta shardMeta
}

// OpenOptions tunes Open.
type OpenOptions struct {
	// SkipCorrupt skips unreadable shards (with a warning) instead of
	// failing. Skipped shards are listed by (*Store).Skipped.
	SkipCorrupt bool
	// Warn receives warnings; nil logs with the standard logger.
	Warn func(msg string)
	// ReadOnly opens an existing store for reading only (see
	// OpenReadOnly): no lock, no folder creation, no temp-file cleanup,
	// and Append fails.
	ReadOnly bool
	// Info, when writing, is what the appended episodes are: Open refuses
	// a store that holds episodes of another env, observation or syntax,
	// and records Info in a new (or older, unmarked) store.
	Info *Info
}

// Store is a directory of Parquet shards, one per Append call. It is safe
// for concurrent use within a process. A store opened for writing holds
// the folder's lock file (LockName) until Close, so a second writer, in
// this process or another, is refused instead of appending the same
// episode IDs again; the lock is an flock on an open file, so it dies with
// a crashed process. Readers (OpenReadOnly) take no lock and may read
// while a writer appends: they see only complete shards.
type Store struct {
	dir  string
	opts OpenOptions

	mu      sync.Mutex
	shards  []shard
	ids     map[int64]string // episode ID -> shard path
	turns   int
	nextID  int64
	skipped []string
	lock    *heldLock // nil when read-only or closed
	closed  bool
	info    *Info // from the folder's marker; nil when it records none
}

// Open opens (creating if needed) the store in dir for writing and indexes
// its shards from their footers. It takes the folder's lock, so it fails,
// naming the process, while another Store holds it; Close releases it. A
// corrupt shard is an error naming it.
func Open(dir string) (*Store, error) { return OpenWith(dir, OpenOptions{}) }

// OpenReadOnly opens an existing store for reading: it takes no lock (so
// it works while a writer appends, and never blocks one), creates nothing
// and removes nothing. Append on it fails.
func OpenReadOnly(dir string) (*Store, error) {
	return OpenWith(dir, OpenOptions{ReadOnly: true})
}

// OpenWith is Open (or, with opts.ReadOnly, OpenReadOnly) with options.
func OpenWith(dir string, opts OpenOptions) (*Store, error) {
	if dir == "" {
		return nil, errors.New("dataset: Open: empty directory name")
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("dataset: %s is a file, not a dataset folder", dir)
	} else if err != nil && (opts.ReadOnly || !errors.Is(err, fs.ErrNotExist)) {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("dataset: dataset folder %s does not exist", dir)
		}
		return nil, fmt.Errorf("dataset: %w", err)
	}
	s := &Store{dir: dir, opts: opts, ids: map[int64]string{}}
	if !opts.ReadOnly {
		// Never append shards to a folder that is not a dataset.
		if err := atomicfile.CheckOut(dir, atomicfile.KindDataset); err != nil {
			return nil, fmt.Errorf("dataset: %w", err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("dataset: creating store dir: %w", err)
		}
		if err := s.acquire(); err != nil {
			return nil, err
		}
	}
	if err := s.index(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.readInfo(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// readInfo learns what the store holds from its marker and, when
// writing, checks opts.Info against it and records what is missing.
func (s *Store) readInfo() error {
	m, marked, err := atomicfile.ReadMarker(s.dir)
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	if marked && m.Kind != atomicfile.KindDataset.Name {
		return fmt.Errorf("dataset: %s holds a vlmq %s (made by %q), not a dataset", s.dir, m.Kind, m.Command)
	}
	if marked && len(m.Info) > 0 {
		var in Info
		if err := json.Unmarshal(m.Info, &in); err != nil {
			return fmt.Errorf("dataset: %s: bad dataset record in %s: %w", s.dir, atomicfile.MarkerFile, err)
		}
		s.info = &in
	}
	if s.opts.ReadOnly || (marked && s.info != nil) {
		if want := s.opts.Info; want != nil && s.info != nil {
			if d := s.info.Differ(*want); d != "" {
				return fmt.Errorf("dataset: %s holds episodes of another kind (%s); use another folder for these", s.dir, d)
			}
		}
		return nil
	}
	if marked && s.opts.Info == nil {
		return nil
	}
	if want := s.opts.Info; want != nil {
		// An older store records nothing: its first episode tells the env.
		got, err := s.Info()
		if err != nil {
			return err
		}
		if got.Env != "" && got.Env != want.Env {
			return fmt.Errorf("dataset: %s holds episodes of another kind (env: %s there, %s here); use another folder for these", s.dir, got.Env, want.Env)
		}
	}
	if err := atomicfile.WriteMarker(s.dir, atomicfile.KindDataset, s.opts.Info); err != nil {
		return fmt.Errorf("dataset: marking %s: %w", s.dir, err)
	}
	s.info = s.opts.Info
	return nil
}

// Info is what a dataset's episodes are: one env, observed and answered
// one way. Episodes of different kinds must not be mixed in one store or
// one training set.
type Info struct {
	Env    string `json:"env"`
	Obs    string `json:"obs,omitempty"`
	Syntax string `json:"syntax,omitempty"`
	// Options is the env options the episodes were played with (JSON).
	Options json.RawMessage `json:"options,omitempty"`
}

// Differ lists how a and b differ ("" when they match). Fields that one
// side does not record (a store written before stores recorded them) are
// not compared.
func (a Info) Differ(b Info) string {
	var d []string
	add := func(what, x, y string) {
		if x != y && x != "" && y != "" {
			d = append(d, fmt.Sprintf("%s: %s there, %s here", what, x, y))
		}
	}
	add("env", a.Env, b.Env)
	if a.Syntax == "" || b.Syntax == "" {
		return strings.Join(d, "; ")
	}
	add("observation", orDefault(a.Obs), orDefault(b.Obs))
	add("syntax", a.Syntax, b.Syntax)
	var ma, mb map[string]json.RawMessage
	_ = json.Unmarshal(a.Options, &ma)
	_ = json.Unmarshal(b.Options, &mb)
	keys := map[string]bool{}
	for k := range ma {
		keys[k] = true
	}
	for k := range mb {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if x, y := compact(ma[k]), compact(mb[k]); x != y {
			d = append(d, fmt.Sprintf("option %s: %s there, %s here", k, orUnset(x), orUnset(y)))
		}
	}
	return strings.Join(d, "; ")
}

func orDefault(s string) string {
	if s == "" {
		return "default"
	}
	return s
}

// compact drops the layout of a JSON value (markers are indented).
func compact(r json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, r) != nil {
		return string(r)
	}
	return b.String()
}

func orUnset(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}

// Info is what the store holds: its recorded Info, or for a store
// written before stores recorded it, the env of its first episode (one
// shard is decoded); a zero Info for an empty store that records nothing.
func (s *Store) Info() (Info, error) {
	s.mu.Lock()
	in, shards := s.info, slices.Clone(s.shards)
	s.mu.Unlock()
	if in != nil {
		return *in, nil
	}
	for _, sh := range shards {
		eps, err := readShard(sh)
		if err != nil {
			if s.opts.SkipCorrupt {
				continue
			}
			return Info{}, fmt.Errorf("dataset: corrupt shard %s: %w", sh.path, err)
		}
		if len(eps) > 0 {
			return Info{Env: eps[0].Env}, nil
		}
	}
	return Info{}, nil
}

// CountSource is the number of stored episodes of source, from the shard
// footers (a shard of several sources written before footers counted
// them is decoded).
func (s *Store) CountSource(source string) (int, error) {
	s.mu.Lock()
	shards := slices.Clone(s.shards)
	s.mu.Unlock()
	n := 0
	for _, sh := range shards {
		switch {
		case !slices.Contains(sh.meta.Sources, source):
		case sh.meta.SourceCounts != nil:
			n += sh.meta.SourceCounts[source]
		case len(sh.meta.Sources) == 1:
			n += sh.meta.Episodes
		default:
			eps, err := readShard(sh)
			if err != nil {
				return 0, fmt.Errorf("dataset: corrupt shard %s: %w", sh.path, err)
			}
			for _, e := range eps {
				if e.Source() == source {
					n++
				}
			}
		}
	}
	return n, nil
}

// index reads the shard footers of s.dir (and, when writing, removes the
// temp files of writers that died).
func (s *Store) index() error {
	dir := s.dir
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("dataset: listing store dir: %w", err)
	}
	for _, de := range entries {
		name := de.Name()
		// Temp files are never part of the store: they are shards whose
		// writer died before publishing them (only the lock holder may
		// remove them; a reader could race a live writer).
		if strings.HasPrefix(name, tempPrefix) && strings.HasSuffix(name, tempSuffix) {
			if s.opts.ReadOnly {
				continue
			}
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("dataset: removing stale temp file %s: %w", name, err)
			}
			s.warn(fmt.Sprintf("dataset: removed unfinished shard temp file %s", filepath.Join(dir, name)))
			continue
		}
		m := shardRE.FindStringSubmatch(name)
		if m == nil || de.IsDir() {
			continue
		}
		num, err := strconv.Atoi(m[1])
		if err != nil {
			continue
		}
		path := filepath.Join(dir, name)
		meta, err := readShardMeta(path)
		if err != nil {
			if err2 := s.corrupt(path, err); err2 != nil {
				return err2
			}
			continue
		}
		if err := s.checkNew(meta.IDs); err != nil {
			if err2 := s.corrupt(path, err); err2 != nil {
				return err2
			}
			continue
		}
		s.addShard(shard{num: num, path: path, meta: meta})
	}
	sort.Slice(s.shards, func(i, j int) bool { return s.shards[i].num < s.shards[j].num })
	return nil
}

func (s *Store) warn(msg string) {
	if s.opts.Warn != nil {
		s.opts.Warn(msg)
	} else {
		log.Print(msg)
	}
}

// corrupt reports a bad shard: an error, or a warning when skipping.
func (s *Store) corrupt(path string, err error) error {
	e := fmt.Errorf("dataset: corrupt shard %s: %w", path, err)
	if !s.opts.SkipCorrupt {
		return e
	}
	s.warn(e.Error() + " (skipped)")
	if !slices.Contains(s.skipped, path) {
		s.skipped = append(s.skipped, path)
	}
	return nil
}

// checkNew rejects IDs already in the store or repeated among ids.
func (s *Store) checkNew(ids []int64) error {
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if prev, dup := s.ids[id]; dup {
			return fmt.Errorf("episode ID %d already stored in %s", id, prev)
		}
		if seen[id] {
			return fmt.Errorf("episode ID %d given twice", id)
		}
		seen[id] = true
	}
	return nil
}

func (s *Store) addShard(sh shard) {
	s.shards = append(s.shards, sh)
	for _, id := range sh.meta.IDs {
		s.ids[id] = sh.path
		if id >= s.nextID {
			s.nextID = id + 1
		}
	}
	s.turns += sh.meta.Turns
}

// decodeGuard turns a panic of the Parquet decoder into an error: on
// damaged files parquet-go indexes past its buffers (found by FuzzShard),
// and a corrupt shard must be reported (or skipped), not crash the process.
func decodeGuard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("damaged Parquet data (the decoder failed: %v)", r)
	}
}

func readShardMeta(path string) (meta shardMeta, err error) {
	defer decodeGuard(&err)
	f, err := os.Open(path)
	if err != nil {
		return meta, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return meta, err
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return meta, err
	}
	raw, ok := pf.Lookup(metaKey)
	if !ok {
		return meta, fmt.Errorf("no %q metadata (not written by this package)", metaKey)
	}
	if err := json.Unmarshal([]byte(raw), &meta); err != nil {
		return meta, fmt.Errorf("bad %q metadata: %w", metaKey, err)
	}
	if meta.Format != metaFormat {
		return meta, fmt.Errorf("unsupported shard format %d", meta.Format)
	}
	if pf.NumRows() != int64(meta.Turns) || len(meta.IDs) != meta.Episodes {
		return meta, fmt.Errorf("footer has %d rows but metadata says %d turns", pf.NumRows(), meta.Turns)
	}
	return meta, nil
}

// Dir is the store directory.
func (s *Store) Dir() string { return s.dir }

// Len is the number of stored episodes.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ids)
}

// NumTurns is the number of stored turns.
func (s *Store) NumTurns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.turns
}

// NextEpisodeID is one more than the largest stored episode ID (0 when
// empty).
func (s *Store) NextEpisodeID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextID
}

// Shards lists the shard paths in order.
func (s *Store) Shards() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.shards))
	for i, sh := range s.shards {
		out[i] = sh.path
	}
	return out
}

// Skipped lists shards skipped as corrupt (with SkipCorrupt).
func (s *Store) Skipped() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.skipped)
}

// Append writes eps as one new shard. The shard becomes visible only
// complete and synced: it is written to a temp file, fsynced, linked to
// its final name and the directory fsynced. Appending nothing is a no-op.
func (s *Store) Append(eps []Episode) error {
	if len(eps) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.opts.ReadOnly:
		return fmt.Errorf("dataset: Append: store %s was opened read-only", s.dir)
	case s.closed:
		return fmt.Errorf("dataset: Append: store %s is closed", s.dir)
	}
	meta := shardMeta{Format: metaFormat, Episodes: len(eps), SourceCounts: map[string]int{}}
	var rows []turnRow
	for _, e := range eps {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("dataset: Append: %w", err)
		}
		if s.info != nil && s.info.Env != "" && e.Env != s.info.Env {
			return fmt.Errorf("dataset: Append: episode %d is of env %s, but %s holds %s episodes", e.ID, e.Env, s.dir, s.info.Env)
		}
		meta.IDs = append(meta.IDs, e.ID)
		src := e.Source()
		if !slices.Contains(meta.Sources, src) {
			meta.Sources = append(meta.Sources, src)
		}
		meta.SourceCounts[src]++
		for _, t := range e.Turns {
			rows = append(rows, turnRow{
				Episode: e.ID, Turn: int64(t.Turn), Env: e.Env, Seed: e.Seed,
				Image: t.Image, Prompt: t.Prompt, Reply: t.Reply, ReplyTokens: t.ReplyTokens,
				Reward: t.Reward, Valid: t.Valid, Done: t.Done, Success: t.Success, Source: t.Source,
				EpisodeReturn: e.Return, EpisodeSuccess: e.Success,
			})
		}
	}
	meta.Turns = len(rows)
	if err := s.checkNew(meta.IDs); err != nil {
		return fmt.Errorf("dataset: Append: %w", err)
	}
	rawMeta, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("dataset: encoding shard metadata: %w", err)
	}

	tmp, err := os.CreateTemp(s.dir, tempPrefix+"*"+tempSuffix)
	if err != nil {
		return fmt.Errorf("dataset: creating temp shard: %w", err)
	}
	tmpPath := tmp.Name()
	published := false
	defer func() {
		if !published {
			tmp.Close()
			os.Remove(tmpPath)
		}
	}()
	// CreateTemp makes 0600 files; shards are meant to be shared.
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	w := parquet.NewGenericWriter[turnRow](tmp,
		parquet.Compression(&zstd.Codec{}),
		parquet.KeyValueMetadata(metaKey, string(rawMeta)))
	if _, err := w.Write(rows); err != nil {
		return fmt.Errorf("dataset: writing shard rows: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("dataset: finishing shard: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("dataset: syncing shard: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("dataset: closing shard: %w", err)
	}

	num := 0
	if n := len(s.shards); n > 0 {
		num = s.shards[n-1].num + 1
	}
	var final string
	for tries := 0; ; tries++ {
		final = filepath.Join(s.dir, ShardName(num))
		err = os.Link(tmpPath, final)
		if err == nil {
			break
		}
		// Another writer (or a skipped corrupt shard) holds this number.
		if errors.Is(err, fs.ErrExist) && tries < 1000 {
			num++
			continue
		}
		// Filesystems without hard links: fall back to rename, which is
		// atomic too but would clobber, so check the name is free first.
		if _, statErr := os.Lstat(final); errors.Is(statErr, fs.ErrNotExist) {
			if err = os.Rename(tmpPath, final); err == nil {
				break
			}
		}
		return fmt.Errorf("dataset: publishing shard %s: %w", final, err)
	}
	published = true
	os.Remove(tmpPath)
	s.addShard(shard{num: num, path: final, meta: meta})
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("dataset: shard %s written but syncing its directory failed: %w", final, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Each calls fn for every stored episode in shard order (the order they
// were appended), reading one shard at a time. With SkipCorrupt, a shard
// that fails to read is skipped with a warning; otherwise the error names
// it. An error from fn stops the walk and is returned.
func (s *Store) Each(fn func(Episode) error) error {
	return s.each(nil, fn)
}

// EpisodesBySource reads the episodes whose Source is one of sources,
// skipping shards that hold none of them.
func (s *Store) EpisodesBySource(sources ...string) ([]Episode, error) {
	var out []Episode
	err := s.each(sources, func(e Episode) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// Episodes reads all stored episodes in shard order.
func (s *Store) Episodes() ([]Episode, error) {
	var out []Episode
	err := s.Each(func(e Episode) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

func (s *Store) each(sources []string, fn func(Episode) error) error {
	s.mu.Lock()
	shards := slices.Clone(s.shards)
	s.mu.Unlock()
	for _, sh := range shards {
		if sources != nil && !slices.ContainsFunc(sh.meta.Sources, func(x string) bool { return slices.Contains(sources, x) }) {
			continue
		}
		eps, err := readShard(sh)
		if err != nil {
			s.mu.Lock()
			err = s.corrupt(sh.path, err)
			s.mu.Unlock()
			if err != nil {
				return err
			}
			continue
		}
		for _, e := range eps {
			if sources != nil && !slices.Contains(sources, e.Source()) {
				continue
			}
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func readShard(sh shard) (eps []Episode, err error) {
	defer decodeGuard(&err)
	f, err := os.Open(sh.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// Rows are read in small batches, not into one slice of the footer's
	// row count: that count is whatever a damaged footer says.
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, err
	}
	r := parquet.NewGenericReader[turnRow](pf)
	defer r.Close()
	var rows []turnRow
	for {
		batch := make([]turnRow, 64)
		n, err := r.Read(batch)
		rows = append(rows, batch[:n]...)
		if len(rows) > sh.meta.Turns {
			return nil, fmt.Errorf("more than the %d turns the metadata says", sh.meta.Turns)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, errors.New("parquet reader made no progress")
		}
	}
	if len(rows) != sh.meta.Turns {
		return nil, fmt.Errorf("read %d turns, metadata says %d", len(rows), sh.meta.Turns)
	}
	for _, r := range rows {
		if n := len(eps); n == 0 || eps[n-1].ID != r.Episode {
			eps = append(eps, Episode{ID: r.Episode, Env: r.Env, Seed: r.Seed, Return: r.EpisodeReturn, Success: r.EpisodeSuccess})
		}
		e := &eps[len(eps)-1]
		e.Turns = append(e.Turns, Turn{
			Episode: r.Episode, Turn: int(r.Turn), Env: r.Env, Seed: r.Seed,
			Image: nilIfEmpty(r.Image), Prompt: r.Prompt, Reply: r.Reply, ReplyTokens: nilIfEmpty(r.ReplyTokens),
			Reward: r.Reward, Valid: r.Valid, Done: r.Done, Success: r.Success, Source: r.Source,
		})
	}
	if len(eps) != len(sh.meta.IDs) {
		return nil, fmt.Errorf("read %d episodes, metadata says %d", len(eps), len(sh.meta.IDs))
	}
	for i, e := range eps {
		if e.ID != sh.meta.IDs[i] {
			return nil, fmt.Errorf("episode %d at position %d, metadata says %d", e.ID, i, sh.meta.IDs[i])
		}
		if err := e.Validate(); err != nil {
			return nil, err
		}
	}
	return eps, nil
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// LockName is the lock file a Store opened for writing holds in its folder.
// It holds the owner's PID for the error message of a refused Open; the
// lock itself is an flock on an open descriptor, which the kernel drops
// when the process exits or is killed, so a crash never leaves a stale lock.
const LockName = ".lock"

// heldLock is a folder lock this process holds. The registry below maps
// the lock file (device, inode) to it, because flock does not stop a second
// descriptor of the same process from seeing the lock as taken by "someone":
// the registry tells this process's own Stores apart.
type heldLock struct {
	f     *os.File
	key   lockKey
	owner weak.Pointer[Store]
	gen   uint64
	stop  runtime.Cleanup
}

type lockKey struct{ dev, ino uint64 }

var locks = struct {
	mu   sync.Mutex
	held map[lockKey]*heldLock
}{held: map[lockKey]*heldLock{}}

// acquire takes s.dir's lock for s.
//
// A Store that is dropped without Close gives its lock back when it is
// garbage collected; an Open of the same folder in this process collects
// garbage once before it reports the folder busy, so such a Store never
// blocks a later Open, while one still in use always does.
func (s *Store) acquire() error {
	path := filepath.Join(s.dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("dataset: opening lock file: %w", err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return fmt.Errorf("dataset: lock file %s: %w", path, err)
	}
	key := lockKey{uint64(st.Dev), uint64(st.Ino)}
	locks.mu.Lock()
	defer locks.mu.Unlock()
	if l := locks.held[key]; l != nil {
		f.Close() // this process already holds the lock through l.f
		if l.owner.Value() != nil {
			runtime.GC()
		}
		if l.owner.Value() != nil {
			return fmt.Errorf("dataset: %s is already open for writing in this process (PID %d); Close that store first, or open this one with OpenReadOnly to read", s.dir, os.Getpid())
		}
		l.stop.Stop()
		l.give(s)
		return nil
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := "another process"
			if b, err := io.ReadAll(io.LimitReader(f, 32)); err == nil {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
					who = fmt.Sprintf("process %d", pid)
				}
			}
			return fmt.Errorf("dataset: %s is in use: %s is writing to it (it holds %s); wait for it to finish or stop it, or use another folder", s.dir, who, path)
		}
		return fmt.Errorf("dataset: locking %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	l := &heldLock{f: f, key: key}
	locks.held[key] = l
	l.give(s)
	return nil
}

// give makes s the owner of l (locks.mu held).
func (l *heldLock) give(s *Store) {
	l.gen++
	l.owner = weak.Make(s)
	l.stop = runtime.AddCleanup(s, releaseDropped, lockToken{l, l.gen})
	s.lock = l
}

// release unlocks l and forgets it (locks.mu held).
func (l *heldLock) release() {
	_ = l.f.Truncate(0)
	_ = l.f.Close() // closing the last descriptor drops the flock
	delete(locks.held, l.key)
}

type lockToken struct {
	l   *heldLock
	gen uint64
}

// releaseDropped frees the lock of a Store collected without Close, unless
// another Store of this process has taken the lock over since.
func releaseDropped(t lockToken) {
	locks.mu.Lock()
	defer locks.mu.Unlock()
	if locks.held[t.l.key] == t.l && t.l.gen == t.gen {
		t.l.release()
	}
}

// Close releases the folder's lock (a no-op for a read-only store and on a
// second call). Reads still work after Close; Append does not.
func (s *Store) Close() error {
	s.mu.Lock()
	l := s.lock
	s.lock, s.closed = nil, true
	s.mu.Unlock()
	if l == nil {
		return nil
	}
	locks.mu.Lock()
	defer locks.mu.Unlock()
	if locks.held[l.key] == l {
		l.stop.Stop()
		l.release()
	}
	return nil
}
