package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// gitBashCompletion is git's own completion script, as Debian ships it.
const gitBashCompletion = "/usr/share/bash-completion/completions/git"

// completionRepo is a repository with three stages, two branches, a tag
// and two git dds remotes: what completion offers.
func completionRepo(t *testing.T) *sandbox {
	s := newSandbox(t)
	s.write("repo/dds.yaml", `stages:
  prepare:
    cmd: mkdir -p out && echo p > out/prepared.csv
    outs: [out/prepared.csv]
  train:
    cmd: cat out/prepared.csv > out/model.bin
    deps: [out/prepared.csv]
    outs: [out/model.bin]
  evaluate:
    cmd: cat out/model.bin > metrics.json
    deps: [out/model.bin]
    outs: [metrics.json]
`)
	s.write("repo/out/README", "outputs go here\n")
	s.must("repo", "git", "init", "-q")
	s.must("repo", "git", "add", "-A")
	s.must("repo", "git", "commit", "-q", "-m", "pipeline")
	s.must("repo", "git", "branch", "feature")
	s.must("repo", "git", "tag", "v1")
	s.must("repo", "git", "config", "dds.remote.origin.url", "file://"+s.path("origin"))
	s.must("repo", "git", "config", "dds.remote.backup.url", "file://"+s.path("backup"))
	return s
}

// bashComplete is what a real bash with git's completion offers for line,
// as a TAB at its end would: COMP_WORDS and friends set as bash sets them,
// then the function git's completion registered for git. setup runs first.
const bashComplete = `
set -e
eval "$SETUP"
set +e
line=$1
COMP_LINE=$line
COMP_POINT=${#line}
read -ra COMP_WORDS <<<"$line"
if [[ $line == *" " ]]; then COMP_WORDS+=(""); fi
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMPREPLY=()
spec=$(complete -p git)
fn=${spec##*-F }
fn=${fn%% *}
"$fn" git "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
echo "spec: $spec"
`

func bashCompletions(t *testing.T, s *sandbox, dir, setup, line string) (words []string, spec string) {
	t.Helper()
	cmd := s.command(dir, "bash", "--norc", "--noprofile", "-c", bashComplete, "bash", line)
	cmd.Env = append(cmd.Env, "SETUP="+setup)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("completing %q in bash: %v\n%s", line, err, out)
	}
	for _, w := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if rest, ok := strings.CutPrefix(w, "spec: "); ok {
			spec = rest
		} else if w != "" {
			words = append(words, strings.TrimSuffix(w, " "))
		}
	}
	slices.Sort(words)
	return words, spec
}

func needBashCompletion(t *testing.T) {
	if _, err := os.Stat(gitBashCompletion); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("git's bash completion is missing (%v), and CI must check completion: make tools-shell installs it", err)
		}
		t.Skipf("skipped: git's bash completion is missing: %v", err)
	}
}

// TestBashCompletion: in bash with git's completion and git dds's sourced,
// git's own commands still complete, and git dds completes its commands,
// flags, stage names, outputs, branches, tags and remotes.
func TestBashCompletion(t *testing.T) {
	needBashCompletion(t)
	s := completionRepo(t)
	setup := "source " + gitBashCompletion + "\nsource <(git dds completion bash)"
	cases := []struct {
		dir, line string
		want      []string // exactly these, or with more, at least these
		more      bool
	}{
		{"repo", "git sta", []string{"stage", "stash", "status"}, false},
		{"repo", "git dds ru", []string{"run"}, false},
		{"repo", "git dds ", []string{"checkout", "gc", "log", "merge-preview", "pull", "push", "run", "status", "version"}, true},
		{"repo", "git dds run ", []string{"evaluate", "prepare", "train"}, false},
		{"repo", "git dds run -j 2 tr", []string{"train"}, false},
		{"repo", "git dds run train ", []string{"evaluate", "prepare"}, false},
		{"repo", "git dds run --dr", []string{"--dry-run"}, false},
		{"repo", "git dds log ", []string{"evaluate", "metrics.json", "out/model.bin", "out/prepared.csv", "prepare", "train"}, false},
		{"repo", "git dds merge-preview ", []string{"feature", "main"}, false},
		{"repo", "git dds status --rev ", []string{"feature", "main", "v1"}, false},
		{"repo", "git dds push ", []string{"backup", "origin"}, false},
		{"repo", "git dds pull o", []string{"origin"}, false},
		{"repo", "git dds gc --remote ", []string{"backup", "origin"}, false},
		{"repo", "git dds graph --format ", []string{"dot", "html", "mermaid"}, false},
		{"repo", "git dds graph --format=m", []string{"--format=mermaid"}, false},
		{"repo", "git dds graph -o ou", []string{"out"}, false},
		{"repo/out", "git dds -C ../o", []string{"../out"}, false},
		{"repo", "git dds status ", nil, false},
		{"repo", "git dds help ru", []string{"run"}, false},
		{"", "git -C repo dds run p", []string{"prepare"}, false},
		{"repo", "git dds completion ", []string{"bash", "zsh"}, false},
	}
	for _, c := range cases {
		got, spec := bashCompletions(t, s, c.dir, setup, c.line)
		if !strings.Contains(spec, "__git_wrap__git_main") {
			t.Errorf("after git dds completion bash, git completes with %q, not git's own function", spec)
		}
		ok := slices.Equal(got, c.want)
		if c.more {
			ok = true
			for _, w := range c.want {
				ok = ok && slices.Contains(got, w)
			}
		}
		if !ok {
			t.Errorf("%q completes to %q, want %q", c.line, got, c.want)
		}
	}
}

// TestBashCompletionLoadedOnDemand: with bash-completion's loader, git's
// completion loads git dds's from where make install puts it, on the first
// TAB after git dds; nothing needs sourcing.
func TestBashCompletionLoadedOnDemand(t *testing.T) {
	needBashCompletion(t)
	const loader = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(loader); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("bash-completion is missing (%v): make tools-shell installs it", err)
		}
		t.Skipf("skipped: bash-completion is missing: %v", err)
	}
	s := completionRepo(t)
	dir := s.path("home/.local/share/bash-completion/completions")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := s.must("", "git", "dds", "completion", "bash")
	if err := os.WriteFile(filepath.Join(dir, "git-dds"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	s.env = append(s.env, "XDG_DATA_HOME="+s.path("home/.local/share"))
	setup := "source " + loader + "\n_completion_loader git || true"
	for line, want := range map[string][]string{"git dds ru": {"run"}, "git dds run e": {"evaluate"}, "git stat": {"status"}} {
		if got, _ := bashCompletions(t, s, "repo", setup, line); !slices.Equal(got, want) {
			t.Errorf("%q completes to %q, want %q", line, got, want)
		}
	}
}

// zshComplete runs git dds's zsh completion as zsh's _git calls it for
// `git LINE`: compinit finds _git-dds in fpath (the file git dds completion
// zsh prints), registers it for git-dds, and _git-dds is autoloaded and
// called with words shifted past git. compadd and _files, which only work
// inside a line editor, are replaced by functions printing what they get.
const zshComplete = `
fpath=($COMPDIR $fpath)
autoload -U compinit && compinit -u -d $TMPDIR/zcompdump
print "registered: $_comps[git-dds]"
compadd () { local -a a; a=("$@"); print -l -- "${(@)a[${a[(i)--]}+1,-1]}" }
_files () { print FILES }
_path_files () { print DIRS }
compset () { [[ $1 == -P ]] && words[CURRENT]=${words[CURRENT]#*=} }
words=(${=1})
[[ $1 == *' ' ]] && words+=('')
CURRENT=${#words}
_git-dds
`

// TestZshCompletion: zsh's completion system picks git dds's zsh script up
// from fpath and it completes commands, flags, stages and remotes.
func TestZshCompletion(t *testing.T) {
	if _, err := exec.LookPath("zsh"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("zsh is missing, and CI must check completion: make tools-shell installs it")
		}
		t.Skip("skipped: zsh is missing (make tools-shell installs it)")
	}
	s := completionRepo(t)
	dir := s.path("zsh")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := s.must("", "git", "dds", "completion", "zsh")
	if err := os.WriteFile(filepath.Join(dir, "_git-dds"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string][]string{
		"dds ru":            {"run"},
		"dds run ":          {"evaluate", "prepare", "train"},
		"dds run --of":      {"--offline"},
		"dds push ":         {"backup", "origin"},
		"dds log out/":      {"out/model.bin", "out/prepared.csv"},
		"dds -C ":           {"DIRS"},
		"dds graph -o ":     {"FILES"},
		"dds status --rev ": {"feature", "main", "v1"},
		"dds gc --keep=c":   {"all-refs", "current"},
	} {
		cmd := s.command("repo", "zsh", "-f", "-c", zshComplete, "zsh", line)
		cmd.Env = append(cmd.Env, "COMPDIR="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("completing %q in zsh: %v\n%s", line, err, out)
		}
		var got []string
		registered := false
		for _, w := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if r, ok := strings.CutPrefix(w, "registered: "); ok {
				registered = r == "_git-dds"
			} else if w != "" {
				got = append(got, w)
			}
		}
		slices.Sort(got)
		if !registered {
			t.Errorf("compinit did not register _git-dds for git-dds:\n%s", out)
		}
		if !slices.Equal(got, want) {
			t.Errorf("git %s completes to %q in zsh, want %q", line, got, want)
		}
	}
}

// zshTerminal drives an interactive zsh in a pseudo-terminal (zsh's zpty),
// as a person at a keyboard: compinit with git dds's script in fpath, then
// each line of $KEYS typed with a TAB, and what the terminal shows checked
// for each $WANT pattern. It prints "ok" or what was missing.
const zshTerminal = `
zmodload zsh/zpty || exit 3
zpty -b z zsh -f -i
zpty -w z "PS1='> '; fpath=($COMPDIR \$fpath); autoload -U compinit; compinit -u -d $TMPDIR/zcompdump; print READY"
screen=
expect () {
	local chunk deadline=$(( SECONDS + 20 ))
	while (( SECONDS < deadline )); do
		if zpty -r -t z chunk; then
			screen+=${chunk//$'\r'/}
			[[ $screen == *$~1* ]] && return 0
		else
			sleep 0.1
		fi
	done
	return 1
}
expect READY || { print "zsh did not start: $screen"; exit 1 }
keys=("${(@f)KEYS}")
wants=("${(@f)WANT}")
for i in {1..${#keys}}; do
	screen=
	zpty -w -n z $'\x15'"${keys[i]}"$'\t'
	if ! expect "${wants[i]}"; then
		print -r -- "typing ${(q)keys[i]}<TAB> showed no ${wants[i]}: ${(q)screen}"
	fi
done
zpty -d z
print ok
`

// TestZshCompletionInATerminal: in an interactive zsh, TAB after git dds
// completes through zsh's own completion of git, which still completes
// git's commands and lists dds among them.
func TestZshCompletionInATerminal(t *testing.T) {
	if _, err := exec.LookPath("zsh"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("zsh is missing, and CI must check completion: make tools-shell installs it")
		}
		t.Skip("skipped: zsh is missing (make tools-shell installs it)")
	}
	s := completionRepo(t)
	dir := s.path("zsh")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := s.must("", "git", "dds", "completion", "zsh")
	if err := os.WriteFile(filepath.Join(dir, "_git-dds"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	keys := []string{"git dds ru", "git dds run ", "git dds push ", "git sta", "git d"}
	want := []string{
		"git dds run", // zle draws the added space in bold: no plain space
		"evaluate*prepare*train",
		"backup*origin",
		"stash*status",
		"dds*-- version data the way git versions code",
	}
	cmd := s.command("repo", "zsh", "-f", "-c", zshTerminal)
	cmd.Env = append(cmd.Env, "COMPDIR="+dir, "KEYS="+strings.Join(keys, "\n"), "WANT="+strings.Join(want, "\n"), "TERM=xterm")
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code == 3 {
		t.Skip("skipped: zsh has no zpty module")
	}
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Errorf("zsh in a terminal (%v):\n%s", err, out)
	}
}
