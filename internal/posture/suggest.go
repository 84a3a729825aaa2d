package posture

import (
	"fmt"
	"strings"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
)

// UnknownProfileDetail says that name is no profile, suggests the closest
// one and lists them all.
func UnknownProfileDetail(name string) string {
	return fmt.Sprintf("%q is not a DDVE port profile.%s Valid names: %s.", name, didYouMean(name, catalog.Names()), strings.Join(catalog.Names(), ", "))
}

// didYouMean names the candidate closest to a misspelled name, when one is
// within a few edits of it (one per four letters, and at least two), as
// ` Did you mean "nfs"?`; otherwise it says nothing.
func didYouMean(name string, candidates []string) string {
	best, bestDistance := "", max(2, len(name)/4)+1
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestDistance {
			best, bestDistance = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// editDistance counts the insertions, deletions, substitutions and swaps of
// two neighbouring letters that turn a into b (the optimal string alignment
// distance): "nsf" is one swap from "nfs".
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
