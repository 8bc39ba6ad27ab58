package hooks

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testRepo is a git repository in a temporary folder, driven by the real
// git with a hermetic environment, and with a fake git-dds on PATH that
// records how the hooks call it.
type testRepo struct {
	t    *testing.T
	home string
	root string
	// logDir receives what the fake git-dds and the test's user hooks
	// record: NAME.args and NAME.stdin per caller.
	logDir string
	env    []string
}

// fakeGitDDS records its arguments and standard input, as the user hooks
// written by userHook do, under names starting with "dds-".
const fakeGitDDS = `#!/bin/sh
printf '%%s\n' "$*" >"%[1]s/dds-$2.args"
cat >"%[1]s/dds-$2.stdin"
`

func newTestRepo(t *testing.T) *testRepo {
	t.Helper()
	home := t.TempDir()
	r := &testRepo{
		t:      t,
		home:   home,
		root:   filepath.Join(home, "repo"),
		logDir: filepath.Join(home, "log"),
	}
	bin := filepath.Join(home, "bin")
	for _, dir := range []string{bin, r.logDir, r.root} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(bin, "git-dds"), fmt.Sprintf(fakeGitDDS, r.logDir), 0o755)
	r.env = []string{
		"HOME=" + home,
		"GIT_CONFIG_NOSYSTEM=1",
		"PATH=" + bin + string(os.PathListSeparator) + pathWithoutGitDDS(),
		"TMPDIR=" + t.TempDir(),
		"LC_ALL=C",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
	}
	r.git("init", "-q", "-b", "main")
	r.git("commit", "-q", "--allow-empty", "-m", "initial")
	return r
}

// pathWithoutGitDDS is PATH without any folder holding a git-dds, so that
// only the test's fake one is found, or none.
func pathWithoutGitDDS() string {
	var kept []string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(dir, "git-dds")); err != nil {
			kept = append(kept, dir)
		}
	}
	return strings.Join(kept, string(os.PathListSeparator))
}

// withoutGitDDS takes the fake git-dds off PATH.
func (r *testRepo) withoutGitDDS() {
	for i, kv := range r.env {
		if strings.HasPrefix(kv, "PATH=") {
			r.env[i] = "PATH=" + pathWithoutGitDDS()
		}
	}
}

func (r *testRepo) Git(ctx context.Context, args ...string) ([]byte, error) {
	return r.gitIn(ctx, r.root, args...)
}

func (r *testRepo) StateDir() string {
	return filepath.Join(r.root, ".git", "dds")
}

func (r *testRepo) gitIn(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir, cmd.Env = dir, r.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// git runs git in the repository and fails the test if it fails.
func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	out, err := r.Git(context.Background(), args...)
	if err != nil {
		r.t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// gitCombined runs git in dir and returns its exit error and what it
// printed on stdout and stderr, hooks included.
func (r *testRepo) gitCombined(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir, cmd.Env = dir, r.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (r *testRepo) hooksDir() string {
	r.t.Helper()
	dir, err := HooksDir(context.Background(), r)
	if err != nil {
		r.t.Fatal(err)
	}
	return dir
}

func (r *testRepo) install(opts InstallOptions) *Report {
	r.t.Helper()
	report, err := Install(context.Background(), r, opts)
	if err != nil {
		r.t.Fatalf("Install: %v", err)
	}
	return report
}

func (r *testRepo) uninstall() *Report {
	r.t.Helper()
	report, err := Uninstall(context.Background(), r)
	if err != nil {
		r.t.Fatalf("Uninstall: %v", err)
	}
	return report
}

// userHook is a user's hook that records its arguments and standard input
// under its name in the log folder, then exits with the given status.
func (r *testRepo) userHook(name string, exit int) string {
	return fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$*\" >%q\ncat >%q\nexit %d\n",
		filepath.Join(r.logDir, "user-"+name+".args"), filepath.Join(r.logDir, "user-"+name+".stdin"), exit)
}

// logged returns what a caller recorded, and whether it recorded anything.
func (r *testRepo) logged(caller, name, kind string) (string, bool) {
	data, err := os.ReadFile(filepath.Join(r.logDir, caller+"-"+name+"."+kind))
	return string(data), err == nil
}

func (r *testRepo) clearLog() {
	r.t.Helper()
	entries, err := os.ReadDir(r.logDir)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(r.logDir, e.Name())); err != nil {
			r.t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, path, content string, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile keeps the mode of a file that exists and applies the umask.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// snapshot maps every entry of a folder to its mode and content (a
// symlink's target), to compare a folder before and after.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap := make(map[string]string)
	for _, e := range entries {
		f, err := inspect(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		snap[e.Name()] = f.mode.String() + " " + string(f.content)
	}
	return snap
}

func actions(report *Report) map[string]Action {
	got := make(map[string]Action)
	for _, h := range report.Hooks {
		got[h.Name] = h.Action
	}
	return got
}

// allHooks maps every hook name to one action.
func allHooks(action Action) map[string]Action {
	want := make(map[string]Action)
	for _, name := range Names() {
		want[name] = action
	}
	return want
}
