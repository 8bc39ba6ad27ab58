package e2e

import (
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-dds/git-dds/internal/cli"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/zeebo/blake3"
)

// gitDDSDir is the folder holding the git-dds that git finds on PATH: a
// copy of this test binary, which runs the command tree in-process when it
// starts as git-dds, so that the scripts' runs count in the coverage.
// TestMain is the only place that can set it up once for every test, and a
// package variable is its only channel to them: it is written before
// m.Run and only read afterwards.
var gitDDSDir string

// update makes the scripts' cmp rewrite the expected file of the archive
// when it differs: `go test ./e2e -run TestScript/NAME -update`.
var update = flag.Bool("update", false, "rewrite the files of the scripts that cmp finds different")

func TestMain(m *testing.M) {
	// testscript copies this binary as git-dds into a folder it puts first
	// on PATH, then runs gitDDSOnPath; started by that name, the copy runs
	// cli.Main instead of the tests. parquet-rows, the scripts' writer and
	// reader of real Parquet, comes the same way.
	testscript.Main(gitDDSOnPath{m}, map[string]func(){"git-dds": cli.Main, "parquet-rows": parquetRowsMain})
}

// gitDDSOnPath runs the tests once git-dds is on PATH.
type gitDDSOnPath struct{ m *testing.M }

func (r gitDDSOnPath) Run() int {
	if _, err := exec.LookPath("git"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: the tests drive the real git, and git is not on PATH: install git.")
		return 1
	}
	path, err := exec.LookPath("git-dds")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: git-dds is not on PATH: %v\n", err)
		return 1
	}
	gitDDSDir = filepath.Dir(path)
	return r.m.Run()
}

func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		Setup:               hermeticGit,
		Cmds:                scriptCommands(),
		Condition:           tracerCondition("auto"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *update,
	})
}

// hermeticGit gives each script a git that reads no configuration of the
// machine or the person running the tests: its own HOME with a known
// gitconfig, no system config, and no repository above $WORK. Commit dates
// are left to the clock: no script asserts a commit id, and a shared fixed
// date would make every commit of a script look simultaneous.
func hermeticGit(env *testscript.Env) error {
	home := filepath.Join(env.WorkDir, "home")
	if err := os.MkdirAll(filepath.Join(home, ".config"), 0o755); err != nil {
		return fmt.Errorf("making the script's home: %w", err)
	}
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(gitconfig), 0o644); err != nil {
		return fmt.Errorf("writing the script's gitconfig: %w", err)
	}

	// TMPDIR is already $WORK/.tmp, set by testscript.
	env.Setenv("HOME", home)
	env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	env.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	env.Setenv("GIT_CEILING_DIRECTORIES", env.WorkDir)
	env.Setenv("GIT_AUTHOR_NAME", "E2E Author")
	env.Setenv("GIT_AUTHOR_EMAIL", "author@example.com")
	env.Setenv("GIT_COMMITTER_NAME", "E2E Committer")
	env.Setenv("GIT_COMMITTER_EMAIL", "committer@example.com")
	// Stage commands use tr and sed; their ranges and messages depend on
	// the locale.
	env.Setenv("LC_ALL", "C")
	// git finds `git dds` as git-dds on PATH.
	env.Setenv("PATH", gitDDSDir+string(os.PathListSeparator)+env.Getenv("PATH"))
	return nil
}

const gitconfig = `[init]
	defaultBranch = main
[user]
	name = E2E User
	email = user@example.com
[commit]
	gpgsign = false
[core]
	autocrlf = false
[advice]
	detachedHead = false
	statusHints = false
	addIgnoredFile = false
	skippedCherryPicks = false
	resolveConflict = false
[color]
	ui = never
`

// scriptCommands are the few commands the scripts add to testscript's own;
// testdata/README.md documents them for script writers.
func scriptCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"lines":        cmdLines,
		"exitcode":     cmdExitCode,
		"json":         cmdJSON,
		"capture":      cmdCapture,
		"b3sum":        cmdB3sum,
		"dotsvg":       cmdDotSVG,
		"mermaid":      cmdMermaid,
		"browse":       cmdBrowse,
		"browse-table": cmdBrowseTable,
		"browse-plots": cmdBrowsePlots,
		"example":      cmdExample,
	}
}

// cmdLines asserts the number of lines of a file: `lines FILE N`.
func cmdLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: lines FILE N")
	}
	text := ts.ReadFile(args[0])
	got := strings.Count(text, "\n")
	if text != "" && !strings.HasSuffix(text, "\n") {
		got++
	}
	if fmt.Sprint(got) != args[1] {
		ts.Logf("[%s]\n%s", args[0], text)
		ts.Fatalf("%s has %d lines, want %s", args[0], got, args[1])
	}
}

// cmdExitCode runs a program and asserts its exit code, keeping its stdout
// and stderr for the next stdout/stderr assertions:
// `exitcode N PROG [ARGS...]`.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROG [ARGS...]")
	}
	err := ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		exitErr, ok := err.(*exec.ExitError)
		if !ok {
			ts.Fatalf("running %s: %v", args[1], err)
		}
		got = exitErr.ExitCode()
	}
	if fmt.Sprint(got) != args[0] {
		ts.Fatalf("%s exited with %d, want %s", strings.Join(args[1:], " "), got, args[0])
	}
}

// cmdJSON reads one JSON document from FILE ("stdout" and "stderr" name the
// last command's) and either asserts the values at PATH equal WANT, or,
// without WANT, prints them one a line as the new stdout:
// `json FILE PATH [WANT]`. Negated, every value must differ from WANT; a
// PATH that selects nothing fails either way, so a typo cannot pass.
func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 && len(args) != 3 || neg && len(args) != 3 {
		ts.Fatalf("usage: json FILE PATH [WANT]")
	}
	doc, err := decodeJSON(ts.ReadFile(args[0]))
	if err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	values, err := selectJSON(doc, args[1])
	if err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	if len(args) == 2 {
		for _, v := range values {
			fmt.Fprintln(ts.Stdout(), formatJSON(v))
		}
		return
	}
	want := args[2]
	for _, v := range values {
		if got := formatJSON(v); (got == want) == neg {
			if neg {
				ts.Fatalf("%s %s is %s, want anything else", args[0], args[1], got)
			}
			ts.Fatalf("%s %s is %s, want %s", args[0], args[1], got, want)
		}
	}
}

// cmdCapture sets an environment variable to the last command's stdout,
// without its final newline: `capture VAR`.
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: capture VAR")
	}
	ts.Setenv(args[0], strings.TrimSuffix(ts.ReadFile("stdout"), "\n"))
}

// cmdB3sum prints the BLAKE3-256 of FILE in hex as the new stdout, read as
// one stream by github.com/zeebo/blake3: an id computed apart from the
// store's, which hashes large files on several cores: `b3sum FILE`.
func cmdB3sum(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: b3sum FILE")
	}
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	h := blake3.New()
	_, err = io.Copy(h, f)
	ts.Check(err)
	fmt.Fprintln(ts.Stdout(), hex.EncodeToString(h.Sum(nil)))
}
