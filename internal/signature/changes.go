package signature

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/git-dds/git-dds/internal/ui"
)

// change is one input that differs between two input lists.
type change struct {
	kind, name         string
	oldValue, newValue string
	inOld, inNew       bool
}

// diffInputs pairs inputs by kind and name and gives those that were added,
// removed or changed, in encoding order of kind, then by name.
func diffInputs(old, new []Input) []change {
	type key struct{ kind, name string }
	oldValues := make(map[key]string, len(old))
	for _, in := range old {
		oldValues[key{in.Kind, in.Name}] = in.Value
	}
	inNew := make(map[key]bool, len(new))
	var changes []change
	for _, in := range new {
		k := key{in.Kind, in.Name}
		inNew[k] = true
		was, ok := oldValues[k]
		if ok && was == in.Value {
			continue
		}
		changes = append(changes, change{kind: in.Kind, name: in.Name, oldValue: was, newValue: in.Value, inOld: ok, inNew: true})
	}
	for _, in := range old {
		if !inNew[key{in.Kind, in.Name}] {
			changes = append(changes, change{kind: in.Kind, name: in.Name, oldValue: in.Value, inOld: true})
		}
	}
	slices.SortStableFunc(changes, func(a, b change) int {
		return cmp.Or(cmp.Compare(kindRank(a.kind), kindRank(b.kind)), cmp.Compare(a.name, b.name))
	})
	return changes
}

// kindRank orders kinds as the encoding does; unknown kinds go last.
func kindRank(kind string) int {
	i := slices.Index([]string{KindCmd, KindWdir, KindOut, KindExt, KindDep, KindStage, KindParam, KindEnv}, kind)
	if i < 0 {
		return 1 << 30
	}
	return i
}

// Changed names what differs between two input lists, once each, in a
// stable order: "cmd", "wdir", "outs", a dep path ("src/clean.py"), an
// upstream stage ("stage:clean"), a param ("params.yaml:clean.impute") or an
// env var ("env:SEED"). Added and removed inputs count as changed.
func Changed(old, new []Input) []string {
	var names []string
	for _, c := range diffInputs(old, new) {
		name := c.label()
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

// Describe gives one sentence per difference between two input lists, for
// status -v, in the order of Changed.
func Describe(old, new []Input) []string {
	var sentences []string
	for _, c := range diffInputs(old, new) {
		sentences = append(sentences, c.sentence())
	}
	return sentences
}

func (c change) label() string {
	switch c.kind {
	case KindCmd, KindWdir:
		return c.kind
	case KindOut:
		return "outs"
	case KindDep, KindParam:
		return c.name
	}
	return c.kind + ":" + c.name // stage:clean, env:SEED
}

func (c change) sentence() string {
	switch c.kind {
	case KindCmd, KindWdir:
		old, new := shortenPair(c.oldValue, c.newValue)
		return fmt.Sprintf("%s changed: %s -> %s", c.kind, strconv.Quote(old), strconv.Quote(new))
	case KindOut:
		return fmt.Sprintf("output %s %s", c.name, c.verb())
	case KindExt:
		if c.inOld && c.inNew {
			return fmt.Sprintf("external output %s changed format: %s -> %s", c.name, c.oldValue, c.newValue)
		}
		return fmt.Sprintf("external output %s %s", c.name, c.verb())
	case KindStage:
		switch {
		case !c.inOld:
			return "now reads stage " + c.name
		case !c.inNew:
			return "no longer reads stage " + c.name
		}
		return fmt.Sprintf("upstream stage %s changed", c.name)
	case KindDep:
		return c.valueSentence(ui.ShortCommit(c.oldValue), ui.ShortCommit(c.newValue))
	case KindEnv:
		// Never a value: it may be a token. A record written before
		// values were hashed holds the quoted value; it is not shown either.
		set := func(value string) string {
			if value == "" {
				return "unset"
			}
			return "set"
		}
		if c.inOld && c.inNew && c.oldValue != "" && c.newValue != "" {
			return c.label() + " changed"
		}
		return c.valueSentence(set(c.oldValue), set(c.newValue))
	}
	return c.valueSentence(shortenPair(c.oldValue, c.newValue))
}

// valueSentence describes a named input whose value changed, came or went,
// given its old and new values as they are to be shown.
func (c change) valueSentence(old, new string) string {
	label := c.label()
	switch {
	case !c.inOld:
		return fmt.Sprintf("%s: added (%s)", label, new)
	case !c.inNew:
		return fmt.Sprintf("%s: removed (was %s)", label, old)
	}
	return fmt.Sprintf("%s: %s -> %s", label, old, new)
}

func (c change) verb() string {
	switch {
	case !c.inOld:
		return "added"
	case !c.inNew:
		return "removed"
	}
	return "changed"
}

const maxShownRunes = 60

// shorten keeps a value readable on one line of status output.
func shorten(s string) string {
	r := []rune(s)
	if len(r) <= maxShownRunes {
		return s
	}
	return string(r[:maxShownRunes-1]) + "…"
}

// shortenPair shortens the old and new values of one input alike, keeping
// where they differ in view: two long commands that differ near their end
// would otherwise both shorten to the same text and hide the change.
func shortenPair(old, new string) (string, string) {
	o, n := []rune(old), []rune(new)
	if len(o) <= maxShownRunes && len(n) <= maxShownRunes {
		return old, new
	}
	same := 0
	for same < len(o) && same < len(n) && o[same] == n[same] {
		same++
	}
	// Start a little before the first difference when it would not show.
	start := 0
	if same > maxShownRunes-maxShownRunes/4 {
		start = same - maxShownRunes/4
	}
	return window(o, start), window(n, start)
}

// window shows r from start, marking what it leaves out at either end.
func window(r []rune, start int) string {
	if start > 0 && start < len(r) {
		r = append([]rune("…"), r[start:]...)
	}
	return shorten(string(r))
}
