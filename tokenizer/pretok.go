package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Character classes of the GPT-2 pre-tokenizer regexp
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// which Go's regexp cannot express (no lookahead), so split implements it
// by hand with the same leftmost-first alternation. Invalid UTF-8 bytes
// count as "other" and are kept byte for byte.
const (
	clsSpace = iota
	clsLetter
	clsNumber
	clsOther
)

func class(r rune) int {
	switch {
	case unicode.IsSpace(r):
		return clsSpace
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	}
	return clsOther
}

// classAt returns the class and width of the rune at s[i:].
func classAt(s string, i int) (int, int) {
	r, w := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && w <= 1 {
		return clsOther, 1
	}
	return class(r), w
}

var contractions = []string{"s", "t", "re", "ve", "m", "ll", "d"}

// split cuts s into pre-tokens; concatenating them gives s back exactly.
func split(s string, emit func(string)) {
	i := 0
	for i < len(s) {
		n := matchAt(s, i)
		emit(s[i : i+n])
		i += n
	}
}

// matchAt returns the length (>0) of the pre-token starting at s[i].
func matchAt(s string, i int) int {
	if s[i] == '\'' {
		for _, c := range contractions {
			if len(s)-i-1 >= len(c) && s[i+1:i+1+len(c)] == c {
				return 1 + len(c)
			}
		}
	}
	// " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+"
	j := i
	if s[j] == ' ' {
		j++
	}
	if j < len(s) {
		if c, w := classAt(s, j); c != clsSpace {
			k := j + w
			for k < len(s) {
				c2, w2 := classAt(s, k)
				if c2 != c {
					break
				}
				k += w2
			}
			return k - i
		}
	}
	// Whitespace run: "\s+(?!\S)" leaves the last space for the next word,
	// "\s+" takes a single space before a word.
	k := i
	last := i
	for k < len(s) {
		c, w := classAt(s, k)
		if c != clsSpace {
			break
		}
		last = k
		k += w
	}
	if k == len(s) || last == i {
		return k - i
	}
	return last - i
}
