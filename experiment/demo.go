package experiment

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"vlmq/afsft"
	"vlmq/atomicfile"
	"vlmq/dataset"
	"vlmq/env"
	"vlmq/jsonfile"
	"vlmq/metrics"
	"vlmq/models"
	"vlmq/runlog"
	"vlmq/vlm"
)

// DemoSpec is the whole offline-to-online story on one env: base model,
// noisy dataset, SFT vs AFSFT offline, then AFSFT with online rounds. It
// holds the specs of its stages (BaseSpec, DataSpec, the TrainSettings
// its runs share), so the demo's flags are theirs (package cli/flagspec):
// the base's with a pretrain- prefix, and without the settings the demo
// gives every stage (env, env options, reply limit).
//
// The demo.json a run writes is the spec as it ran (asRun): the base
// named by path and weights, and no block for a stage it did not run.
type DemoSpec struct {
	Env string `json:"env" flag:"env" help:"environment (see vlmq envs)"`
	Out string `json:"out" flag:"out" help:"output directory (a rerun resumes)"`
	// BaseModel is the base model: "" for the shipped one (package
	// models), a model folder, or PretrainBase to pretrain one on this env
	// from Pretrain. demo.json names the base as loaded instead (Base).
	BaseModel string `json:"-" flag:"base" help:"base model folder (default: the shipped base, vlmq-base; \"pretrain\" pretrains one on --env with the --pretrain-* settings)"`
	// Base is the base the demo ran from; only demo.json sets it.
	Base *ModelRef `json:"base,omitempty" flag:"-"`
	// Pretrain is how the base is pretrained with BaseModel PretrainBase.
	Pretrain BaseSpec `json:"pretrain,omitzero" flag:"pretrain-*" flagomit:"Envs,EnvOpts"`
	// Data is collected with the demo's env, options and reply limit, and
	// base-model episodes with its sampling defaults.
	Data          DataSpec `json:"data" flag:"*" flagomit:"Env,Chunk,Temperature,Parallel,MaxReply,EnvOpts"`
	TrainSettings `flag:"*"`
	Offline       int            `json:"offline_steps,omitempty" flag:"offline-steps" help:"offline gradient steps"`
	Online        afsft.Schedule `json:"online,omitzero" flag:"*" flagomit:"OfflineSteps"` // continues the AFSFT run
	// AllowChanged lets a rerun continue stages whose stored settings
	// differ (TrainSpec.AllowChanged).
	AllowChanged bool `json:"-" flag:"allow-changed-settings" help:"continue stored runs (and a demo's stages) even though their settings differ from these flags"`
	// Methods selects the rows after the dataset (nil = all of
	// DemoMethods, in that order); the capacity check runs SFT only.
	Methods []string `json:"methods,omitempty" flag:"methods" help:"rows to run after the dataset: base, SFT, AFSFT, AFSFT+online (default all)"`
	// EnvOpts apply to every stage (e.g. a step limit).
	EnvOpts env.Options `json:"env_options" flag:"*"`
}

// DefaultDemo is the README's demo on NumberLine (docs/results.md gives
// its table and wall time). The base
// model is pretrained for 1500 steps: at 300 it answered held-out
// questions about the numbers at chance even with the prompt text in front
// of it, and no critic trained on top of it learned to compare target and
// current within the demo's budget.
func DefaultDemo(envName, out string) DemoSpec {
	ts := defaultTrainSettings()
	ts.EvalEpisodes = 100
	return DemoSpec{
		Env: envName, Out: out,
		Pretrain:      DefaultBase(envName),
		Data:          DefaultData(envName),
		TrainSettings: ts, Offline: 500,
		Online: afsft.Schedule{OnlineRounds: 5, EpisodesPerRound: 64, StepsPerRound: 150, CheckpointEvery: 50, OnlineLR: 3e-4},
	}
}

// PretrainBase as DemoSpec.BaseModel pretrains a base for the demo's env.
const PretrainBase = "pretrain"

// DemoMethods are the demo's rows after the dataset. AFSFT+online
// continues the AFSFT run, so it needs AFSFT.
var DemoMethods = []string{"base", "SFT", "AFSFT", "AFSFT+online"}

func (s DemoSpec) wants(method string) bool {
	return len(s.Methods) == 0 || slices.Contains(s.Methods, method)
}

// validateMethods checks Methods names known rows, with AFSFT+online only
// after AFSFT.
func (s DemoSpec) validateMethods() error {
	for _, m := range s.Methods {
		if !slices.Contains(DemoMethods, m) {
			return fmt.Errorf("experiment: unknown demo method %q (have %s)", m, strings.Join(DemoMethods, ", "))
		}
	}
	if s.wants("AFSFT+online") && !s.wants("AFSFT") {
		return fmt.Errorf("experiment: AFSFT+online continues the AFSFT run: list AFSFT too")
	}
	return nil
}

// Validate checks every stage's settings, so bad ones fail now and not
// after minutes of pretraining or collection.
func (s DemoSpec) Validate() error {
	if s.ValEvery != 0 || s.ValEpisodes != 0 {
		// The offline rows' validation, as their runs will check it.
		if err := (TrainSpec{Env: s.Env, Out: s.Out, TrainSettings: TrainSettings{Train: s.Train, ValEvery: s.ValEvery, ValEpisodes: s.ValEpisodes},
			Schedule: afsft.Schedule{OfflineSteps: s.Offline}, EnvOpts: s.EnvOpts}).Validate(); err != nil {
			return err
		}
	}
	// The online run's settings (it validates nothing).
	ts := s.TrainSettings
	ts.ValEvery, ts.ValEpisodes = 0, 0
	if err := (TrainSpec{Env: s.Env, Out: s.Out, TrainSettings: ts, Schedule: s.Online, EnvOpts: s.EnvOpts}).Validate(); err != nil {
		return err
	}
	switch {
	case s.Offline < 0:
		return fmt.Errorf("experiment: offline steps %d", s.Offline)
	case s.EvalEpisodes < 1:
		return fmt.Errorf("experiment: the demo evaluates on at least one episode, not %d", s.EvalEpisodes)
	}
	d := s.Data
	d.Env, d.EnvOpts = s.Env, s.EnvOpts
	if err := d.Validate(); err != nil {
		return err
	}
	if s.BaseModel == PretrainBase {
		b := s.Pretrain
		b.EnvOpts = s.EnvOpts
		if len(b.Envs) == 0 {
			b.Envs = []string{s.Env}
		}
		if err := b.Validate(); err != nil {
			return err
		}
		if layers, err := models.PresetLayers(b.Preset, b.Arch); err == nil && s.Train.TrainLayers > layers {
			return fmt.Errorf("experiment: --train-layers %d, but the pretrained base's decoder has %d layers", s.Train.TrainLayers, layers)
		}
	}
	return s.validateMethods()
}

// Result is one row of the demo's table.
type Result struct {
	Method  string          `json:"method"`
	Summary metrics.Summary `json:"summary"`
	Model   string          `json:"model"`
	// Step is the checkpoint's gradient step the evaluation was made at.
	Step int `json:"step,omitempty"`
	// ModelStep is the step of the weights evaluated when they are not
	// Step's: the best validation step a run kept (TrainSettings.ValEvery).
	ModelStep int `json:"model_step,omitempty"`
	// Key identifies the weights and evaluation settings (EvalKey).
	Key string `json:"key,omitempty"`
}

// EvalKey is a SHA-256 over a model's weights and the evaluation spec.
func EvalKey(m vlm.Model, es EvalSpec) string {
	h := sha256.New()
	hashWeights(h, m)
	j, _ := json.Marshal(es)
	h.Write(j)
	return hex.EncodeToString(h.Sum(nil))
}

// WeightsKey is a SHA-256 over a model's weights: what an evaluation
// checkpoint compares to tell the same model from a retrained one.
func WeightsKey(m vlm.Model) string {
	h := sha256.New()
	hashWeights(h, m)
	return hex.EncodeToString(h.Sum(nil))
}

// ModelRef names the model a run started from, as a record of what ran:
// the --base value or folder it was loaded from, and what it held.
type ModelRef struct {
	Path string `json:"path"`
	// ParamsSHA256 is its WeightsKey: over the parameter values, whatever
	// precision the file keeps them in (unlike a model card's
	// weights_sha256, which pins the file).
	ParamsSHA256 string `json:"params_sha256"`
	// Fresh, for a continued pretraining whose --arch changed the
	// parent's architecture, lists the parameters that started fresh
	// (every other one kept the parent's weights).
	Fresh []string `json:"fresh_params,omitempty"`
}

// refOf names m, loaded from path ("" = the shipped base).
func refOf(path string, m vlm.Model) *ModelRef {
	if path == "" {
		path = models.DefaultName
	}
	return &ModelRef{Path: path, ParamsSHA256: WeightsKey(m)}
}

func hashWeights(w io.Writer, m vlm.Model) {
	for _, p := range m.Params() {
		_ = binary.Write(w, binary.LittleEndian, p.T.Data)
	}
}

// replays is the number of evaluation episodes a demo keeps per row for
// its HTML report.
const replays = 8

// DemoHooks report progress.
type DemoHooks struct {
	Stage func(name string)
	Train Hooks
	Count func(done, total int) // data collection / pretraining progress
}

// RunDemo runs (or resumes) every stage and returns the results table.
// Each finished stage leaves its artefact in spec.Out and is skipped on a
// rerun; an interrupted stage resumes.
func RunDemo(ctx context.Context, spec DemoSpec, h DemoHooks) ([]Result, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	// One demo per folder; each stage's folder inside it has its own lock.
	lock, err := atomicfile.Claim(spec.Out, atomicfile.KindDemo)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	d := &demoRun{ctx: ctx, spec: spec, h: h}
	defer d.close()
	if err := d.open(); err != nil {
		return nil, err
	}
	// run.json: each session's commit, machine and wall time (each
	// training stage's folder has its own).
	rec, err := runlog.Begin(spec.Out)
	if err != nil {
		return nil, err
	}
	for _, stage := range []func() error{d.pretrainBase, d.record, d.collect, d.evalBase, d.trainSFT, d.trainAFSFT, d.trainOnline, d.report} {
		if err = stage(); err == nil {
			err = rec.Save()
		}
		if err != nil {
			break
		}
	}
	if e := rec.End(err); err == nil {
		err = e
	}
	if err != nil {
		return nil, err
	}
	return d.results, nil
}

// demoRun is one RunDemo call: its methods are the demo's stages, in
// the order RunDemo lists them, and the rows they add.
type demoRun struct {
	ctx     context.Context
	spec    DemoSpec
	h       DemoHooks
	baseDir string
	base    vlm.Model
	// baseErr is why the base could not be loaded: pretrainBase makes it.
	baseErr error
	dataDir string
	store   *dataset.Store // held to the end, as the stages read it
	results []Result
	// runs and labels are the training runs the report draws curves of.
	runs, labels []string
}

func (d *demoRun) close() {
	if d.store != nil {
		d.store.Close()
	}
}

func (d *demoRun) stage(s string) {
	if d.h.Stage != nil {
		d.h.Stage(s)
	}
}

// open loads the base and makes the demo folder. The shipped base by
// default; a folder when BaseModel names one; a base pretrained for this
// env alone with BaseModel "pretrain". A named base is loaded before the
// folder is made, so a missing one leaves no folder behind.
func (d *demoRun) open() error {
	spec := d.spec
	d.baseDir = spec.BaseModel
	if spec.BaseModel != PretrainBase {
		var err error
		if d.base, err = models.Load(d.baseDir); err != nil {
			return fmt.Errorf("experiment: base model: %w", err)
		}
		if err := spec.Train.CheckModel(d.base); err != nil {
			return err
		}
		if d.baseDir == "" {
			d.baseDir = models.DefaultName
		}
	}
	if err := atomicfile.EnsureDir(spec.Out, atomicfile.KindDemo, nil); err != nil {
		return err
	}
	if spec.BaseModel == PretrainBase {
		d.baseDir = filepath.Join(spec.Out, "base")
		d.base, d.baseErr = vlm.Load(d.baseDir)
	}
	return nil
}

// pretrainBase pretrains the base when open found none to load (or
// resumes its pretraining).
func (d *demoRun) pretrainBase() error {
	if d.baseErr == nil {
		return nil
	}
	if _, statErr := os.Stat(filepath.Join(d.baseDir, "config.json")); statErr == nil {
		return fmt.Errorf("experiment: existing base model unreadable: %w", d.baseErr)
	}
	spec := d.spec
	d.stage(fmt.Sprintf("pretraining the base VLM (%s, %d steps) on image questions", spec.Pretrain.Preset, spec.Pretrain.Steps))
	b := spec.Pretrain
	b.EnvOpts = spec.EnvOpts
	b.OnStep = func(step int, _ float64) {
		if d.h.Count != nil {
			d.h.Count(step, b.Steps)
		}
	}
	base, rep, err := BuildBase(d.ctx, b, filepath.Join(spec.Out, "base.ckpt"))
	if err != nil {
		return err
	}
	d.base = base
	d.stage(fmt.Sprintf("base model: %d parameters, held-out image QA accuracy %s", base.NumParams(), rep.Score))
	return base.Save(d.baseDir)
}

// record writes demo.json, the spec as it runs (asRun), once the base
// is in hand. A rerun writes it again, so a folder of an older demo.json
// shape resumes with the current one.
func (d *demoRun) record() error {
	return jsonfile.Write(filepath.Join(d.spec.Out, "demo.json"), d.spec.asRun(refOf(d.baseDir, d.base)))
}

// asRun is s as demo.json records it: with the base that ran, and
// without the settings of stages that do not run.
func (s DemoSpec) asRun(base *ModelRef) DemoSpec {
	s.Base = base
	if s.BaseModel != PretrainBase {
		s.Pretrain = BaseSpec{}
	}
	switch {
	case !s.wants("SFT") && !s.wants("AFSFT"):
		// No training run (AFSFT+online needs AFSFT).
		s.Train, s.Offline, s.Online = afsft.Config{}, 0, afsft.Schedule{}
	case !s.wants("AFSFT+online"):
		// The offline runs checkpoint at the online block's interval.
		s.Online = afsft.Schedule{CheckpointEvery: s.Online.CheckpointEvery}
	}
	return s
}

// collect collects (or completes) the dataset and adds its row.
func (d *demoRun) collect() error {
	d.dataDir = filepath.Join(d.spec.Out, "data")
	info := DataInfo(d.spec.Env, d.spec.EnvOpts)
	var err error
	if d.store, err = dataset.OpenWith(d.dataDir, dataset.OpenOptions{Info: &info}); err != nil {
		return err
	}
	d.stage("collecting " + d.spec.Data.Describe())
	d.spec.Data.Env, d.spec.Data.EnvOpts, d.spec.Data.MaxReply = d.spec.Env, d.spec.EnvOpts, d.spec.MaxReply
	if err := CollectData(d.ctx, d.spec.Data, d.store, d.base, d.h.Count); err != nil {
		return err
	}
	all, err := d.store.Episodes()
	if err != nil {
		return err
	}
	dsum, err := metrics.Summarize(all)
	if err != nil {
		return err
	}
	d.results = []Result{{Method: "dataset (" + d.spec.Data.Source + ")", Summary: dsum, Model: d.dataDir}}
	return nil
}

func (d *demoRun) evalBase() error {
	if !d.spec.wants("base") {
		return nil
	}
	r, err := d.eval("base", d.baseDir, d.base, "")
	if err != nil {
		return err
	}
	d.results = append(d.results, r)
	return nil
}

// offlineSchedule is the SFT and AFSFT runs' schedule.
func (d *demoRun) offlineSchedule() afsft.Schedule {
	return afsft.Schedule{OfflineSteps: d.spec.Offline, CheckpointEvery: d.spec.Online.CheckpointEvery}
}

// afsftConfig is the AFSFT arm's: it filters, binary unless exp was
// asked for.
func (d *demoRun) afsftConfig() afsft.Config {
	af := d.spec.Train
	if af.Mode == afsft.SFT {
		af.Mode = afsft.Binary
	}
	return af
}

func (d *demoRun) trainSFT() error {
	if !d.spec.wants("SFT") {
		return nil
	}
	sft := d.spec.Train
	// The SFT baseline imitates every token; nothing reads its critic, so
	// it trains none (a fifth of its step time otherwise).
	sft.Mode, sft.CriticCoef, sft.CQL = afsft.SFT, 0, 0
	dir := filepath.Join(d.spec.Out, "sft")
	if err := d.run("SFT", TrainSpec{Base: d.baseDir, Out: dir, TrainSettings: TrainSettings{Train: sft}, Schedule: d.offlineSchedule()}, ""); err != nil {
		return err
	}
	d.runs, d.labels = append(d.runs, dir), append(d.labels, "SFT")
	return nil
}

func (d *demoRun) trainAFSFT() error {
	if !d.spec.wants("AFSFT") {
		return nil
	}
	dir := filepath.Join(d.spec.Out, "afsft")
	if err := d.run("AFSFT", TrainSpec{Base: d.baseDir, Out: dir, TrainSettings: TrainSettings{Train: d.afsftConfig()}, Schedule: d.offlineSchedule()}, ""); err != nil {
		return err
	}
	d.runs, d.labels = append(d.runs, dir), append(d.labels, "AFSFT")
	return nil
}

// trainOnline continues the AFSFT run with online rounds and lists the
// success after each round (from the evaluations the online run stored)
// before the final row.
func (d *demoRun) trainOnline() error {
	if !d.spec.wants("AFSFT+online") {
		return nil
	}
	on := d.spec.Online
	on.OfflineSteps = 0
	onCfg := d.afsftConfig()
	onCfg.SFTWarmup = 0 // continuing AFSFT: the trunk already reads the observation
	onDir := filepath.Join(d.spec.Out, "online")
	last := filepath.Join(onDir, "evals", slug(fmt.Sprintf("round %d", on.OnlineRounds))+".json")
	if err := d.run("AFSFT+online", TrainSpec{InitFrom: filepath.Join(d.spec.Out, "afsft", "ckpt"), Out: onDir,
		TrainSettings: TrainSettings{Train: onCfg, EvalEpisodes: d.spec.EvalEpisodes}, Schedule: on}, last); err != nil {
		return err
	}
	final := d.results[len(d.results)-1]
	d.results = d.results[:len(d.results)-1]
	for r := 1; r < on.OnlineRounds; r++ {
		var rr Result
		if err := jsonfile.Read(filepath.Join(onDir, "evals", slug(fmt.Sprintf("round %d", r))+".json"), &rr); err != nil {
			return fmt.Errorf("experiment: online round %d evaluation: %w", r, err)
		}
		rr.Method = onlineMethod(r)
		d.results = append(d.results, rr)
	}
	d.results = append(d.results, final)
	d.runs, d.labels = append(d.runs, onDir), append(d.labels, "AFSFT+online")
	return nil
}

// report writes results.json and the HTML report.
func (d *demoRun) report() error {
	spec := d.spec
	if err := jsonfile.Write(filepath.Join(spec.Out, "results.json"), d.results); err != nil {
		return err
	}
	notes := fmt.Sprintf("%s: %s; %s model; %d offline steps; %d online rounds of %d episodes and %d steps (online curves count steps after the AFSFT run). Evaluation: %d held-out seeds, greedy decoding.",
		spec.Env, spec.Data.Describe(), spec.Pretrain.Preset, spec.Offline,
		spec.Online.OnlineRounds, spec.Online.EpisodesPerRound, spec.Online.StepsPerRound, spec.EvalEpisodes)
	return WriteReport(spec.Out, "vlmq demo: "+spec.Env, notes, d.results, d.runs, d.labels)
}

// run trains method's run with the demo's shared settings, then
// evaluates its chosen model as the next row.
func (d *demoRun) run(method string, ts TrainSpec, reuse string) error {
	spec := d.spec
	d.stage("training " + method)
	ts.Env, ts.Data, ts.MaxReply, ts.Parallel, ts.Temperature = spec.Env, []string{d.dataDir}, spec.MaxReply, spec.Parallel, spec.Temperature
	ts.Explore, ts.AllowChanged = spec.Explore, spec.AllowChanged
	ts.EnvOpts = spec.EnvOpts
	if ts.Schedule.OfflineSteps > 0 {
		ts.ValEvery, ts.ValEpisodes = spec.ValEvery, spec.ValEpisodes
	}
	if _, err := Train(d.ctx, ts, d.h.Train); err != nil {
		return err
	}
	m, err := vlm.Load(BestModel(ts.Out))
	if err != nil {
		return err
	}
	r, err := d.eval(method, BestModel(ts.Out), m, reuse)
	if err != nil {
		return err
	}
	d.results = append(d.results, r)
	return nil
}

// eval evaluates m as the row method. An evaluation stored at reuse with
// the same key (the online run's last round: the same weights and
// settings) gives the row's figures, and only the report's replays are
// played again.
func (d *demoRun) eval(method, dir string, m vlm.Model, reuse string) (Result, error) {
	spec := d.spec
	path := filepath.Join(spec.Out, "eval-"+slug(method)+".json")
	es := EvalSpec{Env: spec.Env, Episodes: spec.EvalEpisodes, Parallel: spec.Parallel, MaxReply: spec.MaxReply, EnvOpts: spec.EnvOpts}
	// A stored evaluation counts only for the same weights and the same
	// evaluation settings: a rerun that trained further, or evaluates
	// differently, evaluates again.
	key := EvalKey(m, es)
	var r Result
	if err := jsonfile.Read(path, &r); err == nil && r.Key == key {
		return r, nil
	}
	var rr Result
	reused := reuse != "" && jsonfile.Read(reuse, &rr) == nil && rr.Key == key
	if reused {
		d.stage(fmt.Sprintf("%s: the figures of %s (same weights and settings); replaying %d episodes for the report", method, reuse, min(replays, es.Episodes)))
		es.Episodes = min(replays, es.Episodes)
	} else {
		d.stage("evaluating " + method)
	}
	// Only the report's replays are kept of the episodes.
	ev, err := RunEval(d.ctx, m, "", es, EvalOptions{Keep: replays})
	if err != nil {
		return r, err
	}
	s, eps := ev.Summary, ev.Episodes
	if reused {
		s = rr.Summary
	}
	r = Result{Method: method, Summary: s, Model: dir, Key: key}
	if err := jsonfile.Write(path, r); err != nil {
		return r, err
	}
	return r, writeEpisodes(filepath.Join(spec.Out, "replays-"+slug(method)), eps)
}

// Table renders results as a Markdown table with 95% intervals.
func Table(rs []Result) string {
	var b strings.Builder
	b.WriteString("| method | syntax accuracy | success rate | mean return | episodes |\n|---|---|---|---|---|\n")
	for _, r := range rs {
		s := r.Summary
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d |\n", Cell(r.Method), pct(s.SyntaxAccuracy), pct(s.SuccessRate), num(s.MeanReturn), s.Episodes)
	}
	return b.String()
}

// Cell makes s one Markdown table cell: a "|" would end the cell and a
// line break the row (method names come from users' --model and --policy).
func Cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

func pct(e metrics.Estimate) string {
	return fmt.Sprintf("%.1f%% [%.1f, %.1f]", 100*e.Value, 100*e.Lo, 100*e.Hi)
}

func num(e metrics.Estimate) string { return fmt.Sprintf("%.2f [%.2f, %.2f]", e.Value, e.Lo, e.Hi) }

func slug(s string) string {
	return strings.NewReplacer(" ", "-", "+", "-", "(", "", ")", "").Replace(strings.ToLower(s))
}

// writeEpisodes stores a few evaluation episodes for the HTML report.
func writeEpisodes(dir string, eps []dataset.Episode) error {
	st, err := dataset.Open(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	if st.Len() > 0 {
		return nil
	}
	return st.Append(eps)
}

// FastDemo is a smoke-test-sized demo (tiny model, few steps); its numbers
// are not meant to show anything.
func FastDemo(envName, out string) DemoSpec {
	d := DefaultDemo(envName, out)
	// Tests pretrain a tiny base: the shipped one is too slow for them.
	d.BaseModel = PretrainBase
	d.Pretrain.Preset, d.Pretrain.Steps, d.Pretrain.Episodes, d.Pretrain.Vocab = "tiny", 20, 5, 600
	d.Pretrain.Held, d.Pretrain.HeldPerType, d.Pretrain.SyntaxEpisodes = 40, 10, 2
	if strings.HasPrefix(envName, "miniwob/") {
		// Web prompts list the page's elements: ~250 tokens, more than
		// tiny's 144 text positions.
		d.Pretrain.Preset = "small"
	}
	d.Data.Episodes, d.Data.Chunk = 20, 10
	d.Offline = 10
	d.Online = afsft.Schedule{OnlineRounds: 1, EpisodesPerRound: 8, StepsPerRound: 5, CheckpointEvery: 5}
	d.EvalEpisodes, d.Parallel = 8, 4
	d.Train.Batch = 4
	d.Train.SFTWarmup = 4
	return d
}
