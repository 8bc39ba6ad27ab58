package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sandbox runs the real git and git dds from Go tests, with the same
// hermetic git as the scripts: its own HOME and gitconfig, no system
// config, the built git-dds first on PATH.
type sandbox struct {
	t   *testing.T
	dir string
	env []string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(filepath.Join(home, ".config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(gitconfig), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CEILING_DIRECTORIES=" + dir,
		"GIT_AUTHOR_NAME=E2E Author", "GIT_AUTHOR_EMAIL=author@example.com",
		"GIT_COMMITTER_NAME=E2E Committer", "GIT_COMMITTER_EMAIL=committer@example.com",
		"LC_ALL=C",
		"TMPDIR=" + t.TempDir(),
		"PATH=" + gitDDSDir + string(os.PathListSeparator) + os.Getenv("PATH"),
	}
	// go test -cover gives the tests a GOCOVERDIR, where the git-dds they
	// run (copies of the test binary) write what they ran; without it
	// each would warn on stderr.
	if cover := os.Getenv("GOCOVERDIR"); cover != "" {
		env = append(env, "GOCOVERDIR="+cover)
	}
	return &sandbox{t: t, dir: dir, env: env}
}

// result is what a command printed and how it exited.
type result struct {
	stdout, stderr string
	code           int
}

// command prepares name args... in the folder dir of the sandbox.
func (s *sandbox) command(dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = filepath.Join(s.dir, dir)
	cmd.Env = s.env
	return cmd
}

// exec runs a command to its end.
func (s *sandbox) exec(dir, name string, args ...string) result {
	s.t.Helper()
	cmd := s.command(dir, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.code = exitErr.ExitCode()
	case err != nil:
		s.t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return res
}

// must runs a command that has to succeed, and gives its stdout.
func (s *sandbox) must(dir, name string, args ...string) string {
	s.t.Helper()
	res := s.exec(dir, name, args...)
	if res.code != 0 {
		s.t.Fatalf("%s %s exited with %d:\n%s%s", name, strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res.stdout
}

// write creates the file path, relative to the sandbox, with content.
func (s *sandbox) write(path, content string) {
	s.t.Helper()
	abs := filepath.Join(s.dir, path)
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(abs, []byte(content), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// path gives the absolute path of a sandbox path.
func (s *sandbox) path(p string) string { return filepath.Join(s.dir, p) }
