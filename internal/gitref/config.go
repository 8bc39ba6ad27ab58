package gitref

import (
	"bytes"
	"slices"
	"strings"
)

// gitConfig is git's configuration as `git config --list -z` gives it: every
// file git reads (system, global, XDG, repository, worktree, and the files
// they include), then what git was given on its command line (git -c,
// --config-env, GIT_CONFIG_COUNT), in git's own precedence. go-git reads
// fewer of them (no includes, one global file, none of git's environment).
type gitConfig struct {
	// values holds the last value of each key, as git reads a single-valued
	// setting. Keys are as git spells them: section and name in lower case,
	// a subsection as written.
	values map[string]string
	// all holds every value of each key, in git's order: a multi-valued
	// setting (git config --add) has them all.
	all map[string][]string
}

// parseConfigList reads the output of git config --list -z: entries ended
// by NUL, each a key, then a newline and the value, or the key alone for a
// setting written without "=", which git reads as true.
func parseConfigList(out []byte) gitConfig {
	c := gitConfig{values: map[string]string{}, all: map[string][]string{}}
	for entry := range bytes.SplitSeq(out, []byte{0}) {
		if len(entry) == 0 {
			continue
		}
		key, value, hasValue := strings.Cut(string(entry), "\n")
		if !hasValue {
			value = "true"
		}
		c.values[key] = value
		c.all[key] = append(c.all[key], value)
	}
	return c
}

// lookup returns the value of name in section ("dds", or with a subsection,
// "dds.remote.origin"), and whether it is set.
func (c gitConfig) lookup(section, name string) (string, bool) {
	sub := ""
	if i := strings.IndexByte(section, '.'); i >= 0 {
		section, sub = section[:i], section[i:]
	}
	v, ok := c.values[strings.ToLower(section)+sub+"."+strings.ToLower(name)]
	return v, ok
}

// configValue returns the value of section.key from git config, or ""
// when unset.
func (r *Repo) configValue(section, key string) string {
	v, _ := r.config.lookup(section, key)
	return v
}

// ConfigEntry is one setting of a configuration file.
type ConfigEntry struct {
	// Key is spelled as git spells it: section and name in lower case, a
	// subsection as written ("dds.remote.Origin.url").
	Key   string
	Value string
}

// ConfigSection lists the settings git config gives in section ("dds"),
// sorted by key, every value of a key in git's order: a single-valued
// setting takes the last, as git reads it, and a multi-valued one
// (dds.publish) all of them.
func (r *Repo) ConfigSection(section string) []ConfigEntry {
	return r.config.entries(strings.ToLower(section) + ".")
}

// TeamConfig lists every setting of the committed .ddsconfig, sorted by
// key, whatever its section: which of them git dds admits is not this
// package's to say. None of them counts for the git settings this package
// reads.
func (r *Repo) TeamConfig() []ConfigEntry {
	return r.team.entries("")
}

// entries lists the settings whose key starts with prefix, sorted by
// key, each value of a key in git's order.
func (c gitConfig) entries(prefix string) []ConfigEntry {
	var entries []ConfigEntry
	for key, v := range c.values {
		if !strings.HasPrefix(key, prefix) {
			continue
		}
		all := c.all[key]
		if len(all) == 0 {
			all = []string{v}
		}
		for _, one := range all {
			entries = append(entries, ConfigEntry{Key: key, Value: one})
		}
	}
	slices.SortStableFunc(entries, func(a, b ConfigEntry) int { return strings.Compare(a.Key, b.Key) })
	return entries
}

// configBool reads a git boolean, fallback when unset or not a boolean.
func (r *Repo) configBool(key string, fallback bool) bool {
	section, name, _ := strings.Cut(key, ".")
	v, ok := r.config.lookup(section, name)
	if !ok {
		return fallback
	}
	if b, ok := ParseBool(v); ok {
		return b
	}
	return fallback
}

// ParseBool reads a boolean as git config does: true, yes, on or 1; false,
// no, off, 0 or nothing. ok is false for anything else.
func ParseBool(v string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "on", "1":
		return true, true
	case "false", "no", "off", "0", "":
		return false, true
	}
	return false, false
}
