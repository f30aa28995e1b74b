package all_test

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
	"vlmq/env"
	_ "vlmq/env/all"
)

var updateNames = flag.Bool("update-names", false, "rewrite testdata/names.txt from env.Names()")

// TestNamesGolden pins the list vlmq envs prints: every family registered
// (the 4 Gym Cards games, the 96 BabyAI levels, the MiniWoB tasks), sorted,
// each name once. testdata/names.txt was written before the families
// registered themselves, by the switch in New they replaced.
func TestNamesGolden(t *testing.T) {
	got := env.Names()
	if *updateNames {
		if err := os.WriteFile("testdata/names.txt", []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile("testdata/names.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(string(b))
	if !slices.Equal(got, want) {
		t.Errorf("env.Names() = %d names, want the %d of testdata/names.txt\n got %v\nwant %v", len(got), len(want), got, want)
	}
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Error("env.Names() is not sorted or repeats a name")
	}
	count := map[string]int{}
	for _, n := range got {
		count[env.FamilyOf(n)]++
	}
	if count["cards"] != 4 || count["babyai"] != 96 || count["miniwob"] == 0 {
		t.Errorf("names per family %v, want 4 cards games and 96 BabyAI levels", count)
	}
}
