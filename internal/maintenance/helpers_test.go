package maintenance

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-dds/git-dds/internal/config"
	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/store"
	"github.com/git-dds/git-dds/internal/workspace"
)

// testRepo is a git repository in a temporary folder with a pipeline, and
// the workspace git dds would open on it.
type testRepo struct {
	t    *testing.T
	root string
	ws   *workspace.Workspace
}

// pipelineYAML has a file output, a folder output and a stage reading
// both; params.yaml's k changes every signature.
const pipelineYAML = `stages:
  gen:
    cmd: mkdir -p out && sh src/gen.sh > out/gen.txt
    deps: [src/gen.sh]
    params: {params.yaml: [k]}
    outs: [out/gen.txt]
  split:
    cmd: rm -rf out/parts && mkdir -p out/parts/empty && cp out/gen.txt out/parts/a && echo fixed > out/parts/b
    deps: [out/gen.txt]
    outs: [out/parts]
  join:
    cmd: cat out/gen.txt out/parts/a > out/join.txt
    deps: [out/gen.txt, out/parts]
    outs: [out/join.txt]
`

// TestMain gives git a home of its own: it reads no configuration of the
// machine, and the tests may run side by side.
func TestMain(m *testing.M) {
	home, err := os.MkdirTemp("", "maintenance-test-home")
	if err != nil {
		panic(err)
	}
	env := map[string]string{
		"HOME":                    home,
		"XDG_CONFIG_HOME":         filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM":     "1",
		"GIT_CEILING_DIRECTORIES": os.TempDir(),
		"GIT_AUTHOR_NAME":         "Test",
		"GIT_COMMITTER_NAME":      "Test",
		"GIT_AUTHOR_EMAIL":        "test@example.com",
		"GIT_COMMITTER_EMAIL":     "test@example.com",
	}
	for k, v := range env {
		os.Setenv(k, v)
	}
	code := m.Run()
	os.RemoveAll(home)
	os.Exit(code)
}

// newTestRepo makes a repository with one commit of the pipeline, with
// params.yaml's k set to k.
func newTestRepo(t *testing.T, k string) *testRepo {
	t.Helper()
	r := &testRepo{t: t, root: filepath.Join(t.TempDir(), "repo")}
	r.write("dds.yaml", pipelineYAML)
	r.write("src/gen.sh", "echo generated with k=$(cat params.yaml)\n")
	r.write("params.yaml", "k: "+k+"\n")
	r.git("init", "-q", "-b", "main")
	r.commitAll("first")
	repo, err := gitref.Open(context.Background(), r.root)
	if err != nil {
		t.Fatal(err)
	}
	settings, err := config.Load(repo)
	if err != nil {
		t.Fatal(err)
	}
	r.ws, err = workspace.NewWorkspace(repo, settings, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// What these tests check does not depend on flushing to disk.
	r.ws.Store.SetDurable(false)
	return r
}

func (r *testRepo) write(path, content string) {
	r.t.Helper()
	abs := filepath.Join(r.root, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(abs, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.root
	if err := os.MkdirAll(r.root, 0o755); err != nil {
		r.t.Fatal(err)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *testRepo) commitAll(msg string) {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
}

func (r *testRepo) view(rev string) *namespace.View {
	r.t.Helper()
	v, err := namespace.Load(context.Background(), r.ws.Repo, rev, r.ws.Env)
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

// run brings the working tree's stages up to date.
func (r *testRepo) run() *workspace.Result {
	r.t.Helper()
	res, err := r.ws.Run(context.Background(), r.view(namespace.WorktreeRev), workspace.Options{Jobs: 1})
	if err != nil {
		r.t.Fatalf("run: %v", err)
	}
	return res
}

// states gives each stage's state in the working tree.
func (r *testRepo) states() map[string]workspace.State {
	r.t.Helper()
	rows, err := r.ws.Status(context.Background(), r.view(namespace.WorktreeRev))
	if err != nil {
		r.t.Fatal(err)
	}
	states := map[string]workspace.State{}
	for _, row := range rows {
		states[row.Name] = row.State
	}
	return states
}

// records gives every record of the index, by stage.
func (r *testRepo) records() map[string][]*signature.Record {
	r.t.Helper()
	recs := map[string][]*signature.Record{}
	err := r.ws.WithIndex(context.Background(), func(ix *index.Index) error {
		return ix.ForEach(func(rec *signature.Record) error {
			recs[rec.Stage] = append(recs[rec.Stage], rec)
			return nil
		})
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return recs
}

// output gives the record of stage's output path in the current view.
func (r *testRepo) output(stage string) signature.Output {
	r.t.Helper()
	sv, _ := r.view(namespace.WorktreeRev).Stage(stage)
	var out signature.Output
	err := r.ws.WithIndex(context.Background(), func(ix *index.Index) error {
		rec, ok, err := ix.Get(sv.Signature)
		if !ok || err != nil {
			r.t.Fatalf("stage %s has no record (%v)", stage, err)
		}
		out = rec.Outputs[0]
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// objects lists the ids in the store.
func (r *testRepo) objects() map[string]bool {
	r.t.Helper()
	ids := map[string]bool{}
	if err := r.ws.Store.Walk(func(id string, _ int64) error { ids[id] = true; return nil }); err != nil {
		r.t.Fatal(err)
	}
	return ids
}

// damage overwrites the object id with other bytes.
func (r *testRepo) damage(id string) {
	r.t.Helper()
	p := r.ws.Store.Path(id)
	if err := os.Chmod(p, 0o644); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("not what was stored\n"), 0o444); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) manifest(id string) store.Manifest {
	r.t.Helper()
	m, err := r.ws.Store.ReadManifest(id)
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}
