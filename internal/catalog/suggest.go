package catalog

import (
	"strings"
)

// Suggest returns the real action nearest to a mistyped one, as
// "prefix:Name", for messages such as `ec2:RunInstance is not an action; did
// you mean ec2:RunInstances?`. A known action returns itself in AWS's case.
//
// Distance is counted in edits (insertions, deletions, substitutions and
// swaps of neighbouring letters, case ignored) over the prefix and the name
// together, so a mistyped prefix ("ec3:RunInstances", "ecs:RunInstances")
// finds the action in the nearby service. A name is accepted within 1 edit
// up to 4 letters, 2 up to 10 and 3 beyond; failing that, the same name
// under another prefix ("iam:GetObject") is suggested. It returns false when
// nothing is close or action has no colon.
func Suggest(action string) (string, bool) {
	if a, ok := Lookup(action); ok {
		return a.FullName(), true
	}
	c := load()
	prefix, name, ok := strings.Cut(asciiLower(action), ":")
	if !ok || name == "" || strings.ContainsAny(action, "*?") {
		return "", false
	}
	limit := 3
	switch {
	case len(name) <= 4:
		limit = 1
	case len(name) <= 10:
		limit = 2
	}
	// A prefix is a few letters: allow one edit in a short one, two in a
	// longer one.
	prefixLimit := 1
	if len(prefix) > 4 {
		prefixLimit = 2
	}

	var (
		best      *Action
		bestScore = limit + 1
		bestPD    int
		rows      [3][]int
	)
	for _, s := range c.services {
		pd := distance(prefix, asciiLower(s.Prefix), &rows)
		if pd > prefixLimit || pd > bestScore {
			continue
		}
		for i, n := range s.names {
			// A name whose length differs by more than the budget left
			// cannot be close enough (ties still count, for the tie-break).
			if pd+abs(len(n)-len(name)) > bestScore {
				continue
			}
			score := pd + distance(name, n, &rows)
			if score < bestScore || (score == bestScore && pd < bestPD) {
				best, bestScore, bestPD = s.sorted[i], score, pd
			}
		}
	}
	if best != nil {
		return best.FullName(), true
	}

	// The right name under the wrong prefix: prefer the service whose prefix
	// is closest, then the first in prefix order.
	bestPD = -1
	for _, s := range c.services {
		a, ok := s.Actions[name]
		if !ok {
			continue
		}
		if pd := distance(prefix, asciiLower(s.Prefix), &rows); bestPD < 0 || pd < bestPD {
			best, bestPD = a, pd
		}
	}
	if best != nil {
		return best.FullName(), true
	}
	return "", false
}

// distance is the optimal string alignment distance between a and b
// (Levenshtein with swaps of neighbouring bytes), using rows as scratch.
func distance(a, b string, rows *[3][]int) int {
	if a == b {
		return 0
	}
	n := len(b) + 1
	for k := range rows {
		if cap(rows[k]) < n {
			rows[k] = make([]int, n)
		}
	}
	// prev2, prev and cur are rows i-2, i-1 and i of the table.
	prev2, prev, cur := rows[0][:n], rows[1][:n], rows[2][:n]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j < n; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[n-1]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
