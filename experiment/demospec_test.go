package experiment

import (
	"context"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"reflect"
	"testing"

	"vlmq/afsft"
	"vlmq/atomicfile"
	"vlmq/jsonfile"
	"vlmq/models"
)

// TestDemoRecordNamesWhatRan: demo.json names the base that ran by path
// and weights (the shipped one, a folder, or the demo's own pretrained
// one), carries the pretraining settings only when the demo pretrains,
// and no block for training stages it does not run.
func TestDemoRecordNamesWhatRan(t *testing.T) {
	shipped, err := models.Load("")
	if err != nil {
		t.Fatal(err)
	}
	tiny := tinyBase(t)
	folder := filepath.Join(t.TempDir(), "folder-base")
	if err := tiny.Save(folder); err != nil {
		t.Fatal(err)
	}
	const (
		fullOnline = iota
		checkpointOnly
		noOnline
	)
	cases := []struct {
		name     string
		base     string // --base
		methods  []string
		wantPath string // "" = <out>/base
		wantSHA  string
		pretrain bool
		online   int // what remains of the online block
	}{
		{name: "shipped base", base: "", wantPath: models.DefaultName, wantSHA: WeightsKey(shipped), online: fullOnline},
		{name: "named folder", base: folder, wantPath: folder, wantSHA: WeightsKey(tiny), online: fullOnline},
		{name: "pretrained", base: PretrainBase, wantSHA: WeightsKey(tiny), pretrain: true, online: fullOnline},
		{name: "offline rows only", base: folder, methods: []string{"SFT", "AFSFT"}, wantPath: folder, wantSHA: WeightsKey(tiny), online: checkpointOnly},
		{name: "no training row", base: PretrainBase, methods: []string{"base"}, wantSHA: WeightsKey(tiny), pretrain: true, online: noOnline},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := FastDemo("numberline", filepath.Join(t.TempDir(), "demo"))
			spec.BaseModel, spec.Methods = c.base, c.methods
			if c.base == PretrainBase {
				// A base the demo pretrained before: open loads it, as on a
				// rerun, instead of pretraining again.
				if err := atomicfile.EnsureDir(spec.Out, atomicfile.KindDemo, nil); err != nil {
					t.Fatal(err)
				}
				if err := tiny.Save(filepath.Join(spec.Out, "base")); err != nil {
					t.Fatal(err)
				}
			}
			d := &demoRun{ctx: context.Background(), spec: spec}
			defer d.close()
			for _, stage := range []func() error{d.open, d.pretrainBase, d.record} {
				if err := stage(); err != nil {
					t.Fatal(err)
				}
			}
			var got map[string]json.RawMessage
			if err := jsonfile.Read(filepath.Join(spec.Out, "demo.json"), &got); err != nil {
				t.Fatal(err)
			}
			var ref ModelRef
			if err := json.Unmarshal(got["base"], &ref); err != nil {
				t.Fatalf("base %s: %v", got["base"], err)
			}
			wantPath := c.wantPath
			if wantPath == "" {
				wantPath = filepath.Join(spec.Out, "base")
			}
			if !reflect.DeepEqual(ref, ModelRef{Path: wantPath, ParamsSHA256: c.wantSHA}) {
				t.Errorf("base %+v, want path %s and params_sha256 %s", ref, wantPath, c.wantSHA)
			}
			if _, has := got["base_model"]; has {
				t.Error("demo.json still has base_model beside base")
			}
			if _, has := got["pretrain"]; has != c.pretrain {
				t.Errorf("pretrain block present: %v, want %v", has, c.pretrain)
			}
			for _, k := range []string{"train", "offline_steps"} {
				if _, has := got[k]; has != (c.online != noOnline) {
					t.Errorf("%s present: %v, want %v", k, has, c.online != noOnline)
				}
			}
			want := map[int]afsft.Schedule{fullOnline: spec.Online, checkpointOnly: {CheckpointEvery: spec.Online.CheckpointEvery}}[c.online]
			var online afsft.Schedule
			if raw, has := got["online"]; has != (c.online != noOnline) {
				t.Errorf("online block present: %v, want %v", has, c.online != noOnline)
			} else if has {
				if err := json.Unmarshal(raw, &online); err != nil || online != want {
					t.Errorf("online block %s, want %+v (%v)", raw, want, err)
				}
			}
		})
	}
}

// TestCommittedRecordsLoad: every spec committed under results/ still
// decodes into its current type: demo.json and eval.json (vlmq table
// reads them) and the spec.json of runs and demo stages (a rerun
// resumes with them).
func TestCommittedRecordsLoad(t *testing.T) {
	n := 0
	err := filepath.WalkDir(filepath.Join("..", "results"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var v any
		switch d.Name() {
		case "demo.json":
			v = &DemoSpec{}
		case "eval.json":
			v = &EvalRecord{}
		case "spec.json":
			// A pretraining's spec.json is a BaseSpec (it lists envs).
			var keys map[string]json.RawMessage
			if err := jsonfile.Read(p, &keys); err != nil {
				t.Errorf("%s: %v", p, err)
				return nil
			}
			if _, base := keys["envs"]; base {
				v = &BaseSpec{}
			} else {
				v = &TrainSpec{}
			}
		default:
			return nil
		}
		n++
		if err := jsonfile.Read(p, v); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no committed specs found under results/")
	}
}
