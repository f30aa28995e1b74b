package afsft

import (
	"math"
	"reflect"
	"testing"
)

func TestSupportAlong(t *testing.T) {
	s := newSupport()
	for _, r := range [][]int{{1, 2, 3}, {1, 2, 4}, {5}, {1, 2, 3}} {
		s.add(r)
	}
	for _, tc := range []struct {
		reply []int
		want  [][]int
	}{
		{[]int{1, 2, 3}, [][]int{{1, 5}, {2}, {3, 4}, nil}},
		{[]int{5}, [][]int{{1, 5}, nil}},
		{[]int{1, 9, 9}, [][]int{{1, 5}, {2}, nil, nil}}, // leaves the data after the first token
		{[]int{}, [][]int{{1, 5}}},
	} {
		if got := s.along(tc.reply); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("along(%v) = %v, want %v", tc.reply, got, tc.want)
		}
	}
	s.add([]int{7})
	if got := s.along(nil)[0]; !reflect.DeepEqual(got, []int{1, 5, 7}) {
		t.Errorf("after adding a reply the root holds %v", got)
	}
}

func TestValue(t *testing.T) {
	pi := []float64{0.7, 0.2, 0.1}
	q1 := []float32{5, 1, -2}
	q2 := []float32{4, 2, -3} // min(q1, q2) = 4, 1, -3
	for _, tc := range []struct {
		name    string
		allowed []int
		want    float64
	}{
		{"whole vocabulary", nil, 0.7*4 + 0.2*1 + 0.1*-3},
		{"renormalised over the data's tokens", []int{1, 2}, (0.2*1 + 0.1*-3) / 0.3},
		{"one token is exactly its Q", []int{2}, -3},
	} {
		if got := value(pi, q1, q2, tc.allowed); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: V = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := value([]float64{1, 0, 0}, q1, q2, []int{1, 2}); got != -1 {
		t.Errorf("allowed tokens with zero probability: V = %v, want their mean -1", got)
	}
}
