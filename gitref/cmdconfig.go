package gitref

import (
	"errors"
	"os"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/config"
)

// commandLineSetting is one setting given to git on its command line, which
// git hands down to the commands it runs in the environment: `git -c
// dds.link=hardlink dds run` runs git-dds with GIT_CONFIG_PARAMETERS set.
type commandLineSetting struct{ key, value string }

// noValue is the value of `git -c key` without "=", which git reads as a
// boolean true; go-git's config has no way to say "no value".
const noValue = "true"

// commandLineConfig returns the settings git was given for this command, in
// the order git applies them, the last winning: GIT_CONFIG_COUNT with its
// GIT_CONFIG_KEY_n and GIT_CONFIG_VALUE_n, then GIT_CONFIG_PARAMETERS (`git
// -c`, `git --config-env`). Git checks both before it runs a command, so
// what does not parse is left out rather than refused.
func commandLineConfig(getenv func(string) string) []commandLineSetting {
	var out []commandLineSetting
	if n, err := strconv.Atoi(getenv("GIT_CONFIG_COUNT")); err == nil {
		for i := range n {
			key := getenv("GIT_CONFIG_KEY_" + strconv.Itoa(i))
			if key == "" {
				break
			}
			out = append(out, commandLineSetting{key: key, value: getenv("GIT_CONFIG_VALUE_" + strconv.Itoa(i))})
		}
	}
	params, _ := parseConfigParameters(getenv("GIT_CONFIG_PARAMETERS"))
	return append(out, params...)
}

// applyCommandLine sets, over the settings read from config files, those
// given on git's command line: they come first in git's precedence.
func applyCommandLine(cfg *config.Config) {
	for _, s := range commandLineConfig(os.Getenv) {
		// section.name or section.subsection.name: section and name are
		// case-insensitive, the subsection (which may hold dots) is not.
		first, last := strings.IndexByte(s.key, '.'), strings.LastIndexByte(s.key, '.')
		if first <= 0 || last == len(s.key)-1 {
			continue
		}
		section := cfg.Raw.Section(s.key[:first])
		name := s.key[last+1:]
		if first == last {
			section.SetOption(name, s.value)
		} else {
			section.Subsection(s.key[first+1:last]).SetOption(name, s.value)
		}
	}
}

var errBogusParameters = errors.New("GIT_CONFIG_PARAMETERS is not in the format git writes")

// parseConfigParameters reads GIT_CONFIG_PARAMETERS: settings separated by
// spaces, each 'key'='value' ('key'= alone for `git -c key`), or, as git
// wrote them before 2.31, 'key=value'. Every word is quoted as git's
// sq_quote does: in single quotes, with a quote or ! inside written '\”
// or '\!'.
func parseConfigParameters(s string) ([]commandLineSetting, error) {
	var out []commandLineSetting
	for {
		s = strings.TrimLeft(s, " \t\n\r\v\f")
		if s == "" {
			return out, nil
		}
		key, rest, err := sqWord(s)
		if err != nil {
			return out, err
		}
		var setting commandLineSetting
		switch after, found := strings.CutPrefix(rest, "="); {
		case !found:
			k, v, hasValue := strings.Cut(key, "=")
			if !hasValue {
				v = noValue
			}
			setting = commandLineSetting{key: k, value: v}
		case strings.HasPrefix(after, "'"):
			value, next, err := sqWord(after)
			if err != nil {
				return out, err
			}
			setting, rest = commandLineSetting{key: key, value: value}, next
		default:
			setting, rest = commandLineSetting{key: key, value: noValue}, after
		}
		if rest != "" && !strings.ContainsRune(" \t\n\r\v\f", rune(rest[0])) {
			return out, errBogusParameters
		}
		out = append(out, setting)
		s = rest
	}
}

// sqWord reads one single-quoted word at the start of s and returns it
// unquoted, with what follows it.
func sqWord(s string) (word, rest string, err error) {
	if !strings.HasPrefix(s, "'") {
		return "", s, errBogusParameters
	}
	var b strings.Builder
	s = s[1:]
	for {
		end := strings.IndexByte(s, '\'')
		if end < 0 {
			return "", "", errBogusParameters
		}
		b.WriteString(s[:end])
		s = s[end+1:]
		// '\'' and '\!' stand for a quote and a ! inside the word.
		if len(s) >= 3 && s[0] == '\\' && (s[1] == '\'' || s[1] == '!') && s[2] == '\'' {
			b.WriteByte(s[1])
			s = s[3:]
			continue
		}
		return b.String(), s, nil
	}
}
