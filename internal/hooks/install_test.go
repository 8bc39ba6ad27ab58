package hooks

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestInstallIntoEmptyHooksFolderAndFire(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	dir := r.hooksDir()
	before := snapshot(t, dir)

	report := r.install(InstallOptions{})
	if got := actions(report); !reflect.DeepEqual(got, allHooks(Installed)) {
		t.Fatalf("actions = %v, want all installed", got)
	}
	for _, name := range Names() {
		f, err := inspect(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(f.content) != string(script(name)) || !f.executable {
			t.Errorf("%s: executable %v, content:\n%s", name, f.executable, f.content)
		}
	}

	head := r.git("rev-parse", "HEAD")
	r.git("switch", "-q", "-c", "feature")
	if got, _ := r.logged("dds", PostCheckout, "args"); got != "hook post-checkout "+head+" "+head+" 1\n" {
		t.Errorf("git dds got post-checkout args %q", got)
	}
	r.git("commit", "-q", "--allow-empty", "-m", "second")
	if got, _ := r.logged("dds", PostCommit, "args"); got != "hook post-commit\n" {
		t.Errorf("git dds got post-commit args %q", got)
	}

	if got := actions(r.uninstall()); !reflect.DeepEqual(got, allHooks(Removed)) {
		t.Fatalf("uninstall actions = %v, want all removed", got)
	}
	if after := snapshot(t, dir); !maps.Equal(before, after) {
		t.Errorf("hooks folder after uninstall differs:\nbefore %v\nafter  %v", before, after)
	}
	if _, err := os.Stat(statePath(r.StateDir())); !os.IsNotExist(err) {
		t.Errorf("the hooks record is still there: %v", err)
	}
}

// The user's hooks must see exactly what git gives them without git dds,
// and git dds must see the same.
func TestChainedHooksGetGitsArgumentsAndInput(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	dir := r.hooksDir()
	remote := filepath.Join(r.home, "remote.git")
	r.git("init", "-q", "--bare", remote)
	r.git("remote", "add", "origin", remote)
	writeFile(t, filepath.Join(dir, PostMerge), r.userHook(PostMerge, 0), 0o755)
	writeFile(t, filepath.Join(dir, PrePush), r.userHook(PrePush, 0), 0o755)
	writeFile(t, filepath.Join(dir, PostRewrite), r.userHook(PostRewrite, 0), 0o755)

	r.git("push", "-q", "origin", "main")
	baselineArgs, _ := r.logged("user", PrePush, "args")

	report := r.install(InstallOptions{})
	want := allHooks(Installed)
	want[PostMerge], want[PrePush], want[PostRewrite] = Chained, Chained, Chained
	if got := actions(report); !reflect.DeepEqual(got, want) {
		t.Fatalf("actions = %v, want %v", got, want)
	}
	r.clearLog()

	r.git("switch", "-q", "-c", "feature")
	r.git("commit", "-q", "--allow-empty", "-m", "feature")
	feature := r.git("rev-parse", "HEAD")
	r.git("push", "-q", "origin", "feature")
	r.git("switch", "-q", "main")
	r.git("merge", "-q", "--no-ff", "-m", "merge", "feature")
	merged := r.git("rev-parse", "HEAD")
	r.git("commit", "-q", "--amend", "-m", "merge, amended")
	amended := r.git("rev-parse", "HEAD")

	zero := strings.Repeat("0", 40)
	tests := []struct {
		hook, args, stdin string
	}{
		{PrePush, baselineArgs, "refs/heads/feature " + feature + " refs/heads/feature " + zero + "\n"},
		{PostMerge, "0\n", ""},
		{PostRewrite, "amend\n", merged + " " + amended + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.hook, func(t *testing.T) {
			userArgs, ran := r.logged("user", tt.hook, "args")
			if !ran {
				t.Fatalf("the user's %s hook did not run", tt.hook)
			}
			userStdin, _ := r.logged("user", tt.hook, "stdin")
			ddsArgs, _ := r.logged("dds", tt.hook, "args")
			ddsStdin, _ := r.logged("dds", tt.hook, "stdin")
			if userArgs != tt.args || userStdin != tt.stdin {
				t.Errorf("user hook got args %q stdin %q, want %q %q", userArgs, userStdin, tt.args, tt.stdin)
			}
			if ddsArgs != "hook "+tt.hook+" "+tt.args || ddsStdin != tt.stdin {
				t.Errorf("git dds got args %q stdin %q, want %q %q", ddsArgs, ddsStdin, "hook "+tt.hook+" "+tt.args, tt.stdin)
			}
		})
	}
	if baselineArgs != "origin "+remote+"\n" {
		t.Errorf("pre-push args before install = %q", baselineArgs)
	}
}

func TestUserPrePushRefusalStillRefuses(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	remote := filepath.Join(r.home, "remote.git")
	r.git("init", "-q", "--bare", remote)
	writeFile(t, filepath.Join(r.hooksDir(), PrePush), r.userHook(PrePush, 1), 0o755)
	r.install(InstallOptions{})

	if out, err := r.gitCombined(r.root, "push", remote, "main"); err == nil {
		t.Fatalf("push succeeded despite the user's hook refusing it:\n%s", out)
	}
	if _, ran := r.logged("user", PrePush, "args"); !ran {
		t.Error("the user's pre-push hook did not run")
	}
	if _, ran := r.logged("dds", PrePush, "args"); ran {
		t.Error("git dds ran for a push already refused")
	}
	if out, err := r.gitIn(context.Background(), remote, "rev-parse", "--verify", "-q", "refs/heads/main"); err == nil {
		t.Errorf("the remote has main at %s", out)
	}
}

func TestInstallTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	dir := r.hooksDir()
	writeFile(t, filepath.Join(dir, PostMerge), r.userHook(PostMerge, 0), 0o755)
	r.install(InstallOptions{})
	hooks := snapshot(t, dir)
	record, err := os.ReadFile(statePath(r.StateDir()))
	if err != nil {
		t.Fatal(err)
	}

	report := r.install(InstallOptions{})
	if got := actions(report); !reflect.DeepEqual(got, allHooks(AlreadyInstalled)) {
		t.Errorf("second install actions = %v, want all already installed", got)
	}
	if again := snapshot(t, dir); !maps.Equal(hooks, again) {
		t.Errorf("second install changed the hooks folder:\nbefore %v\nafter  %v", hooks, again)
	}
	if again, _ := os.ReadFile(statePath(r.StateDir())); string(again) != string(record) {
		t.Errorf("second install changed the record:\n%s\nthen\n%s", record, again)
	}
}

func TestUninstallRestoresByteForByte(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	dir := r.hooksDir()
	writeFile(t, filepath.Join(dir, PostMerge), r.userHook(PostMerge, 0), 0o700)
	writeFile(t, filepath.Join(dir, PostCommit), "#!/usr/bin/env python3\nprint('no final newline')", 0o644)
	writeFile(t, filepath.Join(r.root, "scripts", "push.sh"), "#!/bin/sh\nexit 0\n", 0o755)
	if err := os.Symlink("../../scripts/push.sh", filepath.Join(dir, PrePush)); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)

	report := r.install(InstallOptions{})
	want := allHooks(Installed)
	want[PostMerge], want[PostCommit], want[PrePush] = Chained, Chained, Chained
	if got := actions(report); !reflect.DeepEqual(got, want) {
		t.Fatalf("install actions = %v, want %v", got, want)
	}
	for _, h := range report.Hooks {
		if notRun := strings.Contains(h.Note, "not executable"); notRun != (h.Name == PostCommit) {
			t.Errorf("%s note %q", h.Name, h.Note)
		}
	}

	report = r.uninstall()
	want = allHooks(Removed)
	want[PostMerge], want[PostCommit], want[PrePush] = Restored, Restored, Restored
	if got := actions(report); !reflect.DeepEqual(got, want) {
		t.Fatalf("uninstall actions = %v, want %v", got, want)
	}
	if after := snapshot(t, dir); !maps.Equal(before, after) {
		t.Errorf("hooks folder after uninstall differs:\nbefore %v\nafter  %v", before, after)
	}
}

// A non-executable hook is kept, and not run, as git would not run it.
func TestNonExecutableUserHookIsNotRun(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	writeFile(t, filepath.Join(r.hooksDir(), PostCommit), r.userHook(PostCommit, 0), 0o644)
	r.install(InstallOptions{})
	r.git("commit", "-q", "--allow-empty", "-m", "second")
	if _, ran := r.logged("user", PostCommit, "args"); ran {
		t.Error("the non-executable user hook ran")
	}
	if _, ran := r.logged("dds", PostCommit, "args"); !ran {
		t.Error("git dds did not run")
	}
}

func TestHooksPathIsHonoured(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		hooksPath func(r *testRepo) string // empty: not set
		want      func(r *testRepo) string
		// shared: linked worktrees use the same folder. A relative
		// core.hooksPath is relative to each worktree's top.
		shared bool
		// created: the folder did not exist before install.
		created bool
	}{
		{
			name:      "not set",
			hooksPath: func(*testRepo) string { return "" },
			want:      func(r *testRepo) string { return filepath.Join(r.root, ".git", "hooks") },
			shared:    true,
		},
		{
			name:      "relative",
			hooksPath: func(*testRepo) string { return ".githooks" },
			want:      func(r *testRepo) string { return filepath.Join(r.root, ".githooks") },
			created:   true,
		},
		{
			name:      "absolute",
			hooksPath: func(r *testRepo) string { return filepath.Join(r.home, "shared-hooks") },
			want:      func(r *testRepo) string { return filepath.Join(r.home, "shared-hooks") },
			shared:    true,
			created:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRepo(t)
			if hooksPath := tt.hooksPath(r); hooksPath != "" {
				r.git("config", "core.hooksPath", hooksPath)
			}
			want := tt.want(r)
			if got := r.hooksDir(); got != want {
				t.Fatalf("HooksDir = %s, want %s", got, want)
			}
			linked := filepath.Join(r.home, "linked")
			r.git("worktree", "add", "-q", linked)
			linkedDir, err := HooksDir(context.Background(), linkedRepo{r, linked})
			if err != nil {
				t.Fatal(err)
			}
			if shared := linkedDir == want; shared != tt.shared {
				t.Fatalf("HooksDir from a linked worktree = %s (shared %v), want shared %v", linkedDir, shared, tt.shared)
			}

			if report := r.install(InstallOptions{}); report.HooksDir != want {
				t.Fatalf("installed into %s, want %s", report.HooksDir, want)
			}
			r.git("commit", "-q", "--allow-empty", "-m", "second")
			if _, ran := r.logged("dds", PostCommit, "args"); !ran {
				t.Error("git dds did not run for a commit")
			}
			if tt.shared {
				r.clearLog()
				if out, err := r.gitCombined(linked, "commit", "-q", "--allow-empty", "-m", "in linked"); err != nil {
					t.Fatalf("%v: %s", err, out)
				}
				if _, ran := r.logged("dds", PostCommit, "args"); !ran {
					t.Error("git dds did not run for a commit in a linked worktree")
				}
			}

			r.uninstall()
			if _, err := os.Stat(want); os.IsNotExist(err) != tt.created {
				t.Errorf("after uninstall, the hooks folder: %v; created by install: %v", err, tt.created)
			}
		})
	}
}

// linkedRepo runs git from another worktree of a testRepo.
type linkedRepo struct {
	*testRepo
	dir string
}

func (l linkedRepo) Git(ctx context.Context, args ...string) ([]byte, error) {
	return l.gitIn(ctx, l.dir, args...)
}

// Husky's hooks find their script through $0: chained, they must still run.
func TestHuskyHookStillRuns(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.git("config", "core.hooksPath", ".husky/_")
	husky := filepath.Join(r.root, ".husky")
	// As husky 9 writes them: a shim per hook, and h, which runs
	// .husky/<name of the hook that sourced it>.
	writeFile(t, filepath.Join(husky, "_", "h"), "#!/usr/bin/env sh\nn=$(basename \"$0\")\ns=$(dirname \"$(dirname \"$0\")\")/$n\n[ ! -f \"$s\" ] && exit 0\nsh -e \"$s\" \"$@\"\n", 0o644)
	writeFile(t, filepath.Join(husky, "_", PostCommit), "#!/usr/bin/env sh\n. \"${0%/*}/h\"", 0o755)
	writeFile(t, filepath.Join(husky, PostCommit), r.userHook(PostCommit, 0), 0o644)

	r.install(InstallOptions{})
	r.git("commit", "-q", "--allow-empty", "-m", "second")
	if _, ran := r.logged("user", PostCommit, "args"); !ran {
		t.Error("the husky-managed post-commit hook did not run")
	}
	if _, ran := r.logged("dds", PostCommit, "args"); !ran {
		t.Error("git dds did not run")
	}
}

func TestInstallUpgradesOlderHooks(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, marker, from string }{
		{"v0", "# git-dds hook v0 - older wording", "from hook v0"},
		{"no version", "# git-dds hook, early", "from hook v0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRepo(t)
			dir := r.hooksDir()
			chained := filepath.Join(dir, chainedName(PostMerge))
			writeFile(t, filepath.Join(dir, PostMerge), "#!/bin/sh\n"+tt.marker+"\n\"$(dirname \"$0\")/post-merge.dds-chained\" \"$@\"\ngit dds hook post-merge \"$@\"\n", 0o755)
			writeFile(t, chained, r.userHook(PostMerge, 0), 0o750)
			userBefore := snapshot(t, dir)[chainedName(PostMerge)]

			report := r.install(InstallOptions{})
			if got := actions(report)[PostMerge]; got != Upgraded {
				t.Fatalf("post-merge: %v, want upgraded", got)
			}
			if h := report.Hooks[slices.Index(Names(), PostMerge)]; h.Chained != chainedName(PostMerge) || h.Note != tt.from {
				t.Errorf("report %+v", h)
			}
			after := snapshot(t, dir)
			if !isOurs(after[PostMerge], PostMerge) {
				t.Errorf("post-merge not upgraded: %s", after[PostMerge])
			}
			if after[chainedName(PostMerge)] != userBefore {
				t.Errorf("the chained hook changed: %s", after[chainedName(PostMerge)])
			}
		})
	}
}

// What Install does with what it does not recognise as a plain user's hook.
func TestInstallOverDoubtfulHooks(t *testing.T) {
	t.Parallel()
	ours := string(script(PostMerge))
	tests := []struct {
		name     string
		hook     string // content of post-merge; "/" makes it a folder
		mode     os.FileMode
		chained  string // content of post-merge.dds-chained, if any
		force    bool
		want     Action
		rewrites bool
	}{
		{name: "edited", hook: ours + "echo mine\n", mode: 0o755, want: LeftAlone},
		{name: "edited, forced", hook: ours + "echo mine\n", mode: 0o755, force: true, want: Rewritten, rewrites: true},
		{name: "half-written, forced", hook: ours[:200], mode: 0o755, force: true, want: Rewritten, rewrites: true},
		{name: "newer", hook: "#!/bin/sh\n# git-dds hook v99 - from the future\n", mode: 0o755, want: LeftAlone},
		{name: "not executable", hook: ours, mode: 0o644, want: Rewritten, rewrites: true},
		{name: "replaced after install", hook: "#!/bin/sh\necho new\n", mode: 0o755, chained: "#!/bin/sh\necho old\n", want: LeftAlone},
		{name: "chained hook put back", hook: "#!/bin/sh\necho old\n", mode: 0o755, chained: "#!/bin/sh\necho old\n", want: Chained, rewrites: true},
		{name: "only the chained hook", chained: "#!/bin/sh\necho old\n", want: Chained, rewrites: true},
		{name: "a folder", hook: "/", want: LeftAlone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRepo(t)
			dir := r.hooksDir()
			hook := filepath.Join(dir, PostMerge)
			switch tt.hook {
			case "":
			case "/":
				if err := os.Mkdir(hook, 0o755); err != nil {
					t.Fatal(err)
				}
			default:
				writeFile(t, hook, tt.hook, tt.mode)
			}
			if tt.chained != "" {
				writeFile(t, filepath.Join(dir, chainedName(PostMerge)), tt.chained, 0o755)
			}
			before := snapshot(t, dir)

			report := r.install(InstallOptions{Force: tt.force})
			if got := actions(report)[PostMerge]; got != tt.want {
				t.Fatalf("post-merge: %v, want %v (%+v)", got, tt.want, report.Hooks)
			}
			after := snapshot(t, dir)
			if rewritten := isOurs(after[PostMerge], PostMerge); rewritten != tt.rewrites {
				t.Errorf("post-merge rewritten: %v, want %v", rewritten, tt.rewrites)
			}
			if !tt.rewrites && after[PostMerge] != before[PostMerge] {
				t.Errorf("post-merge changed from %q to %q", before[PostMerge], after[PostMerge])
			}
			if before[chainedName(PostMerge)] != after[chainedName(PostMerge)] {
				t.Errorf("the chained hook changed")
			}
		})
	}
}

func TestUninstallLeavesEditedHooks(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	dir := r.hooksDir()
	writeFile(t, filepath.Join(dir, PrePush), r.userHook(PrePush, 0), 0o755)
	r.install(InstallOptions{})

	edited := string(script(PrePush)) + "echo my addition\n"
	writeFile(t, filepath.Join(dir, PrePush), edited, 0o755)
	trimmed := strings.Replace(string(script(PostMerge)), "status=0\n", "", 1)
	writeFile(t, filepath.Join(dir, PostMerge), trimmed, 0o755)

	report := r.uninstall()
	want := allHooks(Removed)
	want[PrePush] = LeftAlone
	if got := actions(report); !reflect.DeepEqual(got, want) {
		t.Fatalf("uninstall actions = %v, want %v", got, want)
	}
	after := snapshot(t, dir)
	if after[PrePush] != "-rwxr-xr-x "+edited { // as writeFile left it
		t.Errorf("the edited pre-push hook changed: %s", after[PrePush])
	}
	if _, kept := after[chainedName(PrePush)]; !kept {
		t.Error("the hook chained by the edited one is gone")
	}
}

// The record lives in .git/dds, which users delete to start afresh; the
// hooks folder alone must be enough to uninstall.
func TestUninstallWithoutRecord(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	dir := r.hooksDir()
	writeFile(t, filepath.Join(dir, PostMerge), r.userHook(PostMerge, 0), 0o755)
	before := snapshot(t, dir)
	r.install(InstallOptions{})
	if err := os.RemoveAll(r.StateDir()); err != nil {
		t.Fatal(err)
	}

	r.uninstall()
	if after := snapshot(t, dir); !maps.Equal(before, after) {
		t.Errorf("hooks folder after uninstall differs:\nbefore %v\nafter  %v", before, after)
	}
}

func TestInstallRefusesWhenHooksPathMoved(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	old := r.hooksDir()
	r.install(InstallOptions{})
	r.git("config", "core.hooksPath", ".githooks")

	if _, err := Install(context.Background(), r, InstallOptions{}); err == nil || !strings.Contains(err.Error(), "git dds uninstall") {
		t.Fatalf("Install after core.hooksPath moved: %v", err)
	}
	if report := r.uninstall(); report.HooksDir != old {
		t.Fatalf("uninstalled from %s, want %s", report.HooksDir, old)
	}
	if report := r.install(InstallOptions{}); report.HooksDir != filepath.Join(r.root, ".githooks") {
		t.Fatalf("installed into %s", report.HooksDir)
	}
}

func TestMissingGitDDS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		prepush     string
		pushRefused bool
		message     string
	}{
		{name: "upload mode", prepush: "", message: "git-dds is not on PATH, so the pre-push hook skipped it"},
		{name: "verify mode", prepush: "verify", pushRefused: true, message: "dds.prepush is verify, so the push is refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRepo(t)
			remote := filepath.Join(r.home, "remote.git")
			r.git("init", "-q", "--bare", remote)
			writeFile(t, filepath.Join(r.hooksDir(), PostMerge), r.userHook(PostMerge, 0), 0o755)
			r.install(InstallOptions{})
			r.withoutGitDDS()
			if tt.prepush != "" {
				r.git("config", "dds.prepush", tt.prepush)
			}

			r.git("switch", "-q", "-c", "other")
			r.git("commit", "-q", "--allow-empty", "-m", "other")
			r.git("switch", "-q", "main")
			out, err := r.gitCombined(r.root, "merge", "--no-ff", "-m", "merge", "other")
			if err != nil {
				t.Fatalf("merge failed: %v\n%s", err, out)
			}
			if !strings.Contains(out, "git dds: git-dds is not on PATH, so the post-merge hook skipped it; install git-dds, or remove its hooks with git dds uninstall") {
				t.Errorf("merge printed no hint:\n%s", out)
			}
			if _, ran := r.logged("user", PostMerge, "args"); !ran {
				t.Error("the user's post-merge hook did not run")
			}

			out, err = r.gitCombined(r.root, "push", remote, "main")
			if refused := err != nil; refused != tt.pushRefused {
				t.Errorf("push refused: %v, want %v\n%s", refused, tt.pushRefused, out)
			}
			if !strings.Contains(out, tt.message) {
				t.Errorf("push printed no %q:\n%s", tt.message, out)
			}
		})
	}
}

func TestMarkerVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		content string
		version int
		found   bool
	}{
		{"#!/bin/sh\necho hi\n", 0, false},
		{string(script(PrePush)), scriptVersion, true},
		{"#!/bin/sh\n# git-dds hook v0 - old\n", 0, true},
		{"#!/bin/sh\n# git-dds hook v12\n", 12, true},
		{"#!/bin/sh\n# git-dds hook vX\n", 0, true},
		{"#!/bin/sh\n# git-dds hook v-3\n", 0, true},
		{"#!/bin/sh\n  # git-dds hook v1\n", 0, false},
	}
	for _, tt := range tests {
		version, found := markerVersion([]byte(tt.content))
		if version != tt.version || found != tt.found {
			t.Errorf("markerVersion(%q) = %d, %v; want %d, %v", tt.content, version, found, tt.version, tt.found)
		}
	}
}

// isOurs reports whether a snapshot entry is the git dds hook for name,
// executable.
func isOurs(entry, name string) bool {
	mode, content, _ := strings.Cut(entry, " ")
	return content == string(script(name)) && strings.HasPrefix(mode, "-rwx")
}

func TestRecordAndChangedChainedHook(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	dir := r.hooksDir()
	userHook := r.userHook(PostMerge, 0)
	writeFile(t, filepath.Join(dir, PostMerge), userHook, 0o700)
	r.install(InstallOptions{})

	st, err := loadState(r.StateDir())
	if err != nil || st == nil {
		t.Fatalf("record: %v, %v", st, err)
	}
	want := hookState{
		Written:       sha256Hex(script(PostMerge)),
		Chained:       chainedName(PostMerge),
		ChainedMode:   "-rwx------",
		ChainedSHA256: sha256Hex([]byte(userHook)),
	}
	if st.HooksDir != dir || st.Hooks[PostMerge] != want || st.Hooks[PostCommit].Chained != "" {
		t.Fatalf("record = %+v", st)
	}

	writeFile(t, filepath.Join(dir, chainedName(PostMerge)), userHook+"# edited\n", 0o700)
	report := r.uninstall()
	h := report.Hooks[slices.Index(Names(), PostMerge)]
	if h.Action != Restored || !strings.Contains(h.Note, "changes made to post-merge.dds-chained") {
		t.Errorf("report %+v", h)
	}
}

func TestHookReportString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		report HookReport
		want   string
	}{
		{HookReport{Name: PostCommit, Action: Installed}, "post-commit: installed"},
		{HookReport{Name: PostMerge, Action: Chained, Chained: "post-merge.dds-chained"}, "post-merge: chained (runs post-merge.dds-chained first)"},
		{HookReport{Name: PrePush, Action: Restored, Chained: "pre-push.dds-chained"}, "pre-push: restored"},
		{HookReport{Name: PrePush, Action: LeftAlone, Note: "edited"}, "pre-push: left alone; edited"},
	}
	for _, tt := range tests {
		if got := tt.report.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// A hooks folder of the working tree that holds tracked files takes
// nothing: not the top of the tree, not a tracked folder reached through a
// symlink, not a folder holding a tracked file other than hooks. An ignored
// folder in the tree, or one outside it, takes the hooks.
func TestInstallRefusesTrackedHooksFolder(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(r *testRepo) string // returns core.hooksPath
		wantError bool
	}{
		{"husky v5-8", func(r *testRepo) string {
			writeFile(t, filepath.Join(r.root, ".husky", "pre-commit"), "#!/bin/sh\n", 0o755)
			return ".husky"
		}, true},
		{"top of the tree", func(r *testRepo) string {
			writeFile(t, filepath.Join(r.root, "README"), "hello\n", 0o644)
			return "."
		}, true},
		{"tracked file other than a hook", func(r *testRepo) string {
			writeFile(t, filepath.Join(r.root, "tools", "hooks", "README"), "hooks\n", 0o644)
			return "tools/hooks"
		}, true},
		{"absolute path through a symlink", func(r *testRepo) string {
			writeFile(t, filepath.Join(r.root, "githooks", "post-merge"), "#!/bin/sh\n", 0o755)
			link := filepath.Join(r.home, "link")
			if err := os.Symlink(r.root, link); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(link, "githooks")
		}, true},
		{"ignored folder", func(r *testRepo) string {
			writeFile(t, filepath.Join(r.root, ".husky", "_", ".gitignore"), "*\n", 0o644)
			return ".husky/_"
		}, false},
		{"outside the tree", func(r *testRepo) string {
			return filepath.Join(r.home, "elsewhere")
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRepo(t)
			hooksPath := tt.setup(r)
			r.git("add", "-A")
			r.git("commit", "-q", "--allow-empty", "-m", "hooks")
			r.git("config", "core.hooksPath", hooksPath)
			_, err := Install(context.Background(), r, InstallOptions{})
			if got := errors.Is(err, ErrHooksInTree); got != tt.wantError {
				t.Fatalf("Install: %v; want ErrHooksInTree %v", err, tt.wantError)
			}
			if !tt.wantError && err != nil {
				t.Fatal(err)
			}
			if status := r.git("status", "--porcelain"); status != "" {
				t.Fatalf("the tree is dirty after install:\n%s", status)
			}
			if tt.wantError {
				if !strings.Contains(err.Error(), `git-dds hook post-checkout "$@"`) {
					t.Errorf("the refusal does not say what to add to the hooks: %v", err)
				}
				if _, statErr := os.Stat(r.StateDir() + "/hooks.json"); statErr == nil {
					t.Error("a refused install recorded hooks")
				}
			}
		})
	}
}

// The record names a hooks folder inside the git folder relative to the
// state folder, so that a repository moved or copied whole finds it; any
// other folder by its absolute path.
func TestRecordedDirSurvivesAMove(t *testing.T) {
	base := t.TempDir()
	for _, tt := range []struct{ hooks, want string }{
		{filepath.Join(base, ".git", "hooks"), "../hooks"},
		{filepath.Join(base, ".git", "custom", "hooks"), "../custom/hooks"},
		{filepath.Join(base, ".husky", "_"), filepath.Join(base, ".husky", "_")},
		{filepath.Join(base, ".git-other"), filepath.Join(base, ".git-other")},
	} {
		stateDir := filepath.Join(base, ".git", "dds")
		if got := recordedDir(stateDir, tt.hooks); got != tt.want {
			t.Errorf("recordedDir(%s) = %s, want %s", tt.hooks, got, tt.want)
		}
		if err := saveState(stateDir, &state{HooksDir: tt.hooks}); err != nil {
			t.Fatal(err)
		}
		moved := base + "-moved"
		if err := os.Rename(base, moved); err != nil {
			t.Fatal(err)
		}
		st, err := loadState(filepath.Join(moved, ".git", "dds"))
		if err != nil {
			t.Fatal(err)
		}
		want := tt.hooks
		if !filepath.IsAbs(tt.want) {
			want = filepath.Join(moved, strings.TrimPrefix(tt.hooks, base))
		}
		if st.HooksDir != want {
			t.Errorf("after a move, the record names %s, want %s", st.HooksDir, want)
		}
		if err := os.Rename(moved, base); err != nil {
			t.Fatal(err)
		}
	}
}
