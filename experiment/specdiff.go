package experiment

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// specDiff lists the top-level JSON fields in which two specs differ.
func specDiff(a, b any) string {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var ma, mb map[string]json.RawMessage
	_ = json.Unmarshal(ja, &ma)
	_ = json.Unmarshal(jb, &mb)
	var diffs []string
	keys := map[string]bool{}
	for k := range ma {
		keys[k] = true
	}
	for k := range mb {
		keys[k] = true
	}
	var ks []string
	for k := range keys {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		if string(ma[k]) != string(mb[k]) {
			diffs = append(diffs, fmt.Sprintf("%s: %s then, %s now", k, orNone(ma[k]), orNone(mb[k])))
		}
	}
	return strings.Join(diffs, "; ")
}

func orNone(r json.RawMessage) string {
	if len(r) == 0 {
		return "unset"
	}
	return string(r)
}
