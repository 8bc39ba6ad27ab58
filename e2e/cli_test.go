package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
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
			// git help dds is git's own way to the manual page.
			if m := bad.FindString(strings.ReplaceAll(help.stdout, "git help dds", "")); m != "" {
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

// TestHelpDescribes: a command's -h carries its description and examples,
// the text of its manual page and of docs/reference, not only its flags:
// git dds status -h explains each state.
func TestHelpDescribes(t *testing.T) {
	s := newSandbox(t)
	out := s.must("", "git", "dds", "status", "-h")
	for _, want := range []string{
		"    cached    computed and in the local store; git dds checkout restores it\n",
		"Exit status: 0, whatever the states; 1 with --exit-code",
		"Examples:\n  # every stage, and why each stale one is stale, in words\n  git dds status -v\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("git dds status -h shows no %q:\n%s", want, out)
		}
	}
}

// TestVersion: --version and the version command print the module version
// and, for a binary built in a git checkout, the commit it was built from.
func TestVersion(t *testing.T) {
	s := newSandbox(t)
	for _, args := range [][]string{{"dds", "--version"}, {"dds", "version"}} {
		out := s.must("", "git", args...)
		if !regexp.MustCompile(`^git dds version \S+`).MatchString(out) {
			t.Errorf("git %s printed %q, want git dds version X", strings.Join(args, " "), out)
		}
	}

	// The test binary is built without VCS stamping: build one in a fresh
	// git checkout of these sources (go stamps no commit in a linked
	// worktree), and it must name that checkout's commit.
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("skipped: the sources are not in a git checkout: %v", err)
	}
	src := s.path("src")
	s.must("", "git", "init", "-q", src)
	archive := exec.Command("sh", "-c", `git ls-files -z --cached --others --exclude-standard | tar --null -T - -c | tar -x -C "$1"`, "sh", src)
	archive.Dir = strings.TrimSpace(string(root))
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("copying the sources: %v\n%s", err, out)
	}
	s.must("src", "git", "add", "-A")
	s.must("src", "git", "commit", "-q", "-m", "sources")
	head := strings.TrimSpace(s.must("src", "git", "rev-parse", "HEAD"))
	bin := filepath.Join(t.TempDir(), "git-dds")
	// Built as the suite's own binary is, so that the go build cache serves
	// every dependency: only this module's packages, whose folder is new,
	// are compiled again.
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./cmd/git-dds")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=true: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.Contains(string(out), "commit "+head) {
		t.Errorf("git-dds --version built at %s printed %q (%v), want the commit", head, out, err)
	}
}

// TestQuiet: with -q, the commands that report progress and a summary
// print nothing when all goes well, and still print errors; -n is
// run --dry-run.
func TestQuiet(t *testing.T) {
	s := newSandbox(t)
	s.write("repo/dds.yaml", `stages:
  small:
    cmd: mkdir -p out && echo small > out/small.txt
    outs: [out/small.txt]
`)
	s.must("repo", "git", "init", "-q")
	s.must("repo", "git", "add", "-A")
	s.must("repo", "git", "commit", "-q", "-m", "pipeline")
	if err := os.Mkdir(s.path("remote"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.must("repo", "git", "config", "dds.remote.origin.url", "file://"+s.path("remote"))

	dry := s.must("repo", "git", "dds", "run", "--dry-run", "--offline")
	if short := s.must("repo", "git", "dds", "run", "-n", "--offline"); short != dry || !strings.Contains(dry, "would execute small") {
		t.Errorf("run -n printed %q, run --dry-run %q", short, dry)
	}
	quiet := func(args ...string) {
		t.Helper()
		res := s.exec("repo", "git", append([]string{"dds"}, args...)...)
		if res.code != 0 || res.stdout != "" || res.stderr != "" {
			t.Errorf("git dds %s exited with %d and printed:\n%s%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
		}
	}
	quiet("run", "-q")
	quiet("push", "-q")
	if err := os.RemoveAll(s.path("repo/.git/dds")); err != nil {
		t.Fatal(err)
	}
	quiet("fetch", "--quiet")
	if err := os.Remove(s.path("repo/out/small.txt")); err != nil {
		t.Fatal(err)
	}
	quiet("checkout", "-q")
	quiet("pull", "-q")
	quiet("uninstall", "-q")
	quiet("install", "-q")

	s.write("repo/dds.yaml", `stages:
  broken:
    cmd: exit 7
    outs: [never.txt]
`)
	res := s.exec("repo", "git", "dds", "run", "-q", "--offline")
	if res.code != 1 || !strings.Contains(res.stderr, "broken") {
		t.Errorf("a failing run -q exited with %d and said:\n%s", res.code, res.stderr)
	}
}
