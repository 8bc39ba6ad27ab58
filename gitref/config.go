package gitref

import (
	"strings"

	"github.com/go-git/go-git/v5/config"
)

// config reads git config once for the process: a command asks it a dozen
// things, and git dds never writes it. What git was given on its command
// line (git -c) counts over the files. nil when unreadable.
func (r *Repo) config() *config.Config {
	r.configOnce.Do(func() {
		r.objects.Lock()
		defer r.objects.Unlock()
		if cfg, err := r.repo.ConfigScoped(config.SystemScope); err == nil {
			applyCommandLine(cfg)
			r.configCache = cfg
		}
	})
	return r.configCache
}

// ConfigValue returns the value of section.key from git config, the
// repository's own settings over the user's and the system's (git's
// precedence), or "" when unset or unreadable.
func (r *Repo) ConfigValue(section, key string) string {
	cfg := r.config()
	if cfg == nil {
		return ""
	}
	sub := ""
	if i := strings.IndexByte(section, '.'); i >= 0 {
		section, sub = section[:i], section[i+1:]
	}
	s := cfg.Raw.Section(section)
	if sub != "" {
		return s.Subsection(sub).Option(key)
	}
	return s.Option(key)
}

// ConfigSubsections lists the subsections of section that git config
// defines, e.g. "remote.origin" for dds.remote.origin.url.
func (r *Repo) ConfigSubsections(section string) []string {
	cfg := r.config()
	if cfg == nil {
		return nil
	}
	var names []string
	for _, sub := range cfg.Raw.Section(section).Subsections {
		names = append(names, sub.Name)
	}
	return names
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
