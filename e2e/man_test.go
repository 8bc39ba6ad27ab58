package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestManPages installs git dds with make install into a prefix, as a user
// would, and reads its manual as a user would: man -l renders every page
// without a warning, and with that prefix on PATH and MANPATH, git help dds,
// git dds --help (which git turns into git help dds) and man git-dds-run
// show them. DESTDIR stages the same tree under another root.
func TestManPages(t *testing.T) {
	if _, err := exec.LookPath("man"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("man is not installed, and CI must check the manual pages: make tools-shell installs it")
		}
		t.Skip("skipped: man is not installed (make tools-shell installs it)")
	}
	s := newSandbox(t)
	prefix := s.path("prefix")
	src, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	// make builds with the go caches of the person running the tests, not
	// those of the sandbox's empty HOME.
	for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", v, err)
		}
		s.env = append(s.env, v+"="+strings.TrimSpace(string(out)))
	}
	s.must("", "make", "-s", "-C", src, "install", "PREFIX="+prefix, "BIN="+s.path("build"))

	if out := s.must("", filepath.Join(prefix, "bin", "git-dds"), "--version"); !strings.HasPrefix(out, "git dds version ") {
		t.Errorf("the installed git-dds --version printed %q", out)
	}
	man1 := filepath.Join(prefix, "share", "man", "man1")
	s.env = append(s.env, "MANWIDTH=200", "MANPAGER=cat", "PAGER=cat", "GIT_PAGER=cat")
	for _, name := range append([]string{""}, subcommands(t, s)...) {
		if name == "help" {
			continue // help is cobra's way to the pages, and has none
		}
		page, path := "git-dds", "git dds"
		if name != "" {
			page, path = page+"-"+name, path+" "+name
		}
		file := filepath.Join(man1, page+".1")
		res := s.exec("", "man", "--warnings", "-l", file)
		if res.code != 0 || res.stderr != "" {
			t.Errorf("man -l %s exited with %d:\n%s", file, res.code, res.stderr)
			continue
		}
		want := []string{"NAME\n       " + page + " - ", "SYNOPSIS\n       " + path, "DESCRIPTION", "OPTIONS"}
		if name == "status" {
			// The description is the command's whole help, its table
			// and examples too, not only its one-line summary.
			want = append(want, "       cached    computed and in the local store; git dds checkout restores it\n",
				"EXAMPLE\n         # every stage, and why each stale one is stale, in words\n         git dds status -v\n")
		}
		for _, want := range want {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("man -l %s shows no %q:\n%s", file, want, res.stdout)
			}
		}
	}

	// Where git help finds them: the installed binary first on PATH, the
	// pages on MANPATH, or found by man beside the binary.
	s.env = append(s.env, "PATH="+filepath.Join(prefix, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	base := s.env
	for _, manpath := range []string{filepath.Join(prefix, "share", "man"), ""} {
		s.env = base
		if manpath != "" {
			s.env = append(s.env, "MANPATH="+manpath)
		}
		for _, args := range [][]string{{"git", "help", "dds"}, {"git", "dds", "--help"}, {"man", "git-dds"}, {"man", "git-dds-run"}} {
			res := s.exec("", args[0], args[1:]...)
			page := "git-dds"
			if strings.HasSuffix(args[len(args)-1], "run") {
				page = "git-dds-run"
			}
			if res.code != 0 || !strings.Contains(res.stdout, "NAME\n       "+page+" - ") {
				t.Errorf("MANPATH=%s %s exited with %d, printing:\n%s%s", manpath, strings.Join(args, " "), res.code, res.stdout, res.stderr)
			}
		}
	}

	staged := s.path("staged")
	s.must("", "make", "-s", "-C", src, "install", "DESTDIR="+staged, "PREFIX=/opt/dds", "BIN="+s.path("build"))
	for _, p := range []string{"opt/dds/bin/git-dds", "opt/dds/share/man/man1/git-dds.1", "opt/dds/share/man/man1/git-dds-run.1",
		"opt/dds/share/bash-completion/completions/git-dds", "opt/dds/share/zsh/site-functions/_git-dds"} {
		if _, err := os.Stat(filepath.Join(staged, p)); err != nil {
			t.Errorf("make install DESTDIR=%s PREFIX=/opt/dds: %v", staged, err)
		}
	}
}
