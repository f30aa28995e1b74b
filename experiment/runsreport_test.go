package experiment

import (
	"strings"
	"testing"
)

// TestChartStems: chart names are env names as file names, unique also
// in another letter case and against another env's rounds chart.
func TestChartStems(t *testing.T) {
	for _, c := range []struct {
		envs []string
		want string
	}{
		{[]string{"babyai/GoToLocal", "numberline"}, "babyai-GoToLocal numberline"},
		{[]string{"babyai/x", "babyai-x", "BABYAI-X"}, "babyai-x babyai-x-2 BABYAI-X-3"},
		{[]string{"x-rounds", "x"}, "x-rounds x-2"},
		{[]string{"", ".hidden", "../up", "a b<c>"}, "env env.hidden env..-up a-b-c-"},
	} {
		var runs []Run
		for _, e := range c.envs {
			runs = append(runs, Run{Env: e})
		}
		stems := ChartStems(runs)
		var got []string
		for _, e := range c.envs {
			got = append(got, stems[e])
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%q: stems %q, want %q", c.envs, got, c.want)
		}
	}
}

// TestRunLabels: runs of one env are named by their paths below the
// folder they share, or by whole paths when those would clash.
func TestRunLabels(t *testing.T) {
	for _, c := range []struct {
		dirs []string
		want string
	}{
		{[]string{"/r/demo/nl"}, "nl"},
		{[]string{"/r/demo/nl", "/r/capacity/nl"}, "demo/nl capacity/nl"},
		{[]string{"/r/demo/nl", "/r/demo/nl/online-1000"}, "nl online-1000"},
		{[]string{"/a/x/nl", "/a/nl"}, "x/nl nl"},
		{[]string{"/a/nl", "/a/nl/nl"}, "/a/nl /a/nl/nl"},
	} {
		var runs []Run
		for _, d := range c.dirs {
			runs = append(runs, Run{Dir: d})
		}
		if got := strings.Join(runLabels(runs), " "); got != c.want {
			t.Errorf("%q: labels %q, want %q", c.dirs, got, c.want)
		}
	}
}
