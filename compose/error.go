package compose

import (
	"errors"
	"strconv"
	"strings"
)

// Error is a mistake in the user's Compose files or options. Its text is
// "FILE:LINE: KEY: MSG; HINT", each part left out when unknown.
type Error struct {
	File string // as the user knows it: relative to the working directory when inside it
	Line int    // 1-based; 0 when unknown
	Key  string // e.g. "services.web.ports[0]"
	Msg  string
	Hint string // how to fix it

	noFile bool
}

// ErrNoFile is what Load returns (errors.Is) when it finds no Compose file: commands
// that can act on a stack by name alone (ps, logs, down -p NAME) go on without one.
var ErrNoFile = errors.New("no compose file found")

// Is makes errors.Is(err, ErrNoFile) hold for a missing file.
func (e *Error) Is(target error) bool { return target == ErrNoFile && e.noFile }

func (e *Error) Error() string {
	var parts []string
	if e.File != "" {
		loc := e.File
		if e.Line > 0 {
			loc += ":" + strconv.Itoa(e.Line)
		}
		parts = append(parts, loc)
	}
	if e.Key != "" {
		parts = append(parts, e.Key)
	}
	parts = append(parts, e.Msg)
	s := strings.Join(parts, ": ")
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Warning reports a valid key that berth does not implement yet.
type Warning struct {
	File    string
	Service string
	Key     string // e.g. "services.web.restart"
	Msg     string
}

func (w Warning) String() string {
	var parts []string
	for _, p := range []string{w.File, w.Key, w.Msg} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ": ")
}

// displayKey writes a key path as users write it: list indexes in brackets
// ("services.web.ports[0]") and compose-go's list wildcard dropped.
func displayKey(parts []string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "[]" {
			continue
		}
		if _, err := strconv.Atoi(p); err == nil && b.Len() > 0 {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// suggest returns the candidate nearest to word by edit distance, or "" when none is
// close enough to be what the user meant.
func suggest(word string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		if c == word {
			continue
		}
		d := editDistance(strings.ToLower(word), strings.ToLower(c))
		if bestDist < 0 || d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	limit := max(1, len(word)/3)
	if best == "" || bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b: Levenshtein's,
// with a swap of two neighbours counting as one edit ("wbe" is 1 from "web").
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
