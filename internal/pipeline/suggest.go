package pipeline

import "strings"

// synonyms maps keys that people bring from other tools to ours; edit
// distance alone would not find them ("command" is four edits from "cmd").
var synonyms = map[string]string{
	"command":      "cmd",
	"commands":     "cmd",
	"run":          "cmd",
	"script":       "cmd",
	"cwd":          "wdir",
	"dir":          "wdir",
	"workdir":      "wdir",
	"working_dir":  "wdir",
	"dependencies": "deps",
	"inputs":       "deps",
	"parameters":   "params",
	"environment":  "env",
	"outputs":      "outs",
	"metrics":      "outs",
	"plots":        "outs",
}

// maxKeyLength bounds the work spent on a guess: no known key is longer.
const maxKeyLength = len("params")

// suggestKey returns the known key that an unknown key was probably meant to
// be, or "" when none is close enough to be a useful guess.
func suggestKey(key string, known []string) string {
	lower := strings.ToLower(key)
	for _, k := range known {
		if synonyms[lower] == k {
			return k
		}
	}
	if len(lower) > 2*maxKeyLength {
		return ""
	}
	best, bestDistance := "", 4 // more than three edits is a different word
	for _, k := range known {
		d := editDistance(lower, k)
		if d < bestDistance && d < len([]rune(key)) {
			best, bestDistance = k, d
		}
	}
	return best
}

// editDistance counts the insertions, deletions, substitutions and swaps of
// adjacent letters that turn a into b (optimal string alignment distance).
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	// rows[i][j] is the distance between x[:i] and y[:j].
	rows := make([][]int, len(x)+1)
	for i := range rows {
		rows[i] = make([]int, len(y)+1)
		rows[i][0] = i
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			rows[i][j] = min(rows[i-1][j]+1, rows[i][j-1]+1, rows[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				rows[i][j] = min(rows[i][j], rows[i-2][j-2]+1)
			}
		}
	}
	return rows[len(x)][len(y)]
}
