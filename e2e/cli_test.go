package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// subcommands lists the commands `git dds -h` shows, as a user finds them.
func subcommands(t *testing.T, s *sandbox) []string {
	t.Helper()
	out := s.must("", "git", "dds", "-h")
	_, list, ok := strings.Cut(out, "Available Commands:\n")
	if !ok {
		t.Fatalf("git dds -h lists no commands:\n%s", out)
	}
	var names []string
	for _, line := range strings.Split(list, "\n") {
		if !strings.HasPrefix(line, "  ") {
			break
		}
		names = append(names, strings.Fields(line)[0])
	}
	if len(names) < 10 {
		t.Fatalf("git dds -h lists %d commands, want every one:\n%s", len(names), out)
	}
	return names
}

// wrongName matches a command named the way git would run its own: "git run",
// "git [command]", "for "git"". Each name of git dds must read "git dds X".
func wrongName(names []string) *regexp.Regexp {
	return regexp.MustCompile(`(^|[\s"'])git (\[command\]|` + strings.Join(names, "|") + `)\b|"git"`)
}

// TestCommandNames: every usage line, footer and usage error of every
// command names it `git dds X`, as a user would copy it, and usage errors
// exit 2.
func TestCommandNames(t *testing.T) {
	s := newSandbox(t)
	s.must("", "git", "init", "-q", "repo")
	names := subcommands(t, s)
	bad := wrongName(names)
	for _, dir := range []string{"", "repo"} {
		for _, name := range append([]string{""}, names...) {
			args := strings.Fields("dds " + name)
			path := strings.Join(append([]string{"git"}, args...), " ")
			help := s.exec(dir, "git", append(args, "-h")...)
			if help.code != 0 {
				t.Errorf("%s -h exited with %d:\n%s", path, help.code, help.stderr)
			}
			if !strings.Contains(help.stdout, "Usage:\n  "+path) {
				t.Errorf("%s -h gives no usage line %q:\n%s", path, path, help.stdout)
			}
			if m := bad.FindString(help.stdout); m != "" {
				t.Errorf("%s -h names a command %q:\n%s", path, m, help.stdout)
			}
			if name != "" {
				viaHelp := s.exec(dir, "git", "dds", "help", name)
				if viaHelp.code != 0 || viaHelp.stdout != help.stdout {
					t.Errorf("git dds help %s exited with %d and printed something else than %s -h:\n%s", name, viaHelp.code, path, viaHelp.stdout)
				}
			}
			flag := s.exec(dir, "git", append(args, "--no-such-flag")...)
			if flag.code != 2 {
				t.Errorf("%s --no-such-flag exited with %d, want 2:\n%s", path, flag.code, flag.stderr)
			}
			if !strings.Contains(flag.stderr, "unknown flag: --no-such-flag") || !strings.Contains(flag.stderr, path+" -h") {
				t.Errorf("%s --no-such-flag says neither the flag nor where help is (%s -h):\n%s", path, path, flag.stderr)
			}
			if m := bad.FindString(flag.stderr); m != "" {
				t.Errorf("%s --no-such-flag names a command %q:\n%s", path, m, flag.stderr)
			}
		}

		for _, line := range []string{"bogus", "ru", "help bogus", "hook --help", "hook -h", "hook no-such-hook"} {
			res := s.exec(dir, "git", append([]string{"dds"}, strings.Fields(line)...)...)
			if res.code != 2 {
				t.Errorf("in %q: git dds %s exited with %d, want 2:\n%s%s", dir, line, res.code, res.stdout, res.stderr)
			}
			if m := bad.FindString(res.stderr); m != "" {
				t.Errorf("git dds %s names a command %q:\n%s", line, m, res.stderr)
			}
			if !strings.Contains(res.stderr, "git dds -h") && !strings.Contains(res.stderr, "git dds hook") {
				t.Errorf("git dds %s does not say where help is:\n%s", line, res.stderr)
			}
		}
	}
	res := s.exec("", "git", "dds", "bogus")
	if !strings.Contains(res.stderr, `unknown command "bogus" for "git dds"`) {
		t.Errorf("git dds bogus does not name the command git dds:\n%s", res.stderr)
	}
	res = s.exec("", "git", "dds", "ru")
	if !strings.Contains(res.stderr, "Did you mean this?\n\trun") {
		t.Errorf("git dds ru suggests nothing:\n%s", res.stderr)
	}
}
