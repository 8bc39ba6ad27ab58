package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/git-dds/git-dds/internal/config"
	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/store"
	"github.com/git-dds/git-dds/internal/ui"
)

// fakeConfig is git config as a map: "section.sub key" → value.
type fakeConfig map[string]string

func (c fakeConfig) settings() *config.Settings {
	var entries []gitref.ConfigEntry
	for k, v := range c {
		section, key, _ := strings.Cut(k, " ")
		entries = append(entries, gitref.ConfigEntry{Key: section + "." + strings.ToLower(key), Value: v})
	}
	s, err := config.Parse(entries, nil)
	if err != nil {
		panic(err) // git config's own settings are never refused
	}
	return s
}

func TestSelect(t *testing.T) {
	tests := []struct {
		name    string
		cfg     fakeConfig
		ask     string
		want    string // the remote chosen, or the start of the error
		wantErr bool
	}{
		{"none", fakeConfig{}, "", "no remote is configured", true},
		{"the only one", fakeConfig{"dds.remote.team url": "s3://b/p"}, "", "team", false},
		{"two, no default", fakeConfig{"dds.remote.a url": "s3://b/a", "dds.remote.b url": "s3://b/b"}, "", "no remote was chosen among a, b", true},
		{"two, a default", fakeConfig{"dds.remote.a url": "s3://b/a", "dds.remote.b url": "s3://b/b", "dds remote": "b"}, "", "b", false},
		{"named", fakeConfig{"dds.remote.a url": "s3://b/a", "dds.remote.b url": "s3://b/b"}, "a", "a", false},
		{"named, unknown", fakeConfig{"dds.remote.a url": "s3://b/a"}, "c", `no remote called "c"`, true},
		{"bad url", fakeConfig{"dds.remote.a url": "ftp://x"}, "", "git config dds.remote.a.url", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(tt.cfg.settings(), tt.ask)
			if tt.wantErr {
				if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
					t.Fatalf("Select = %v, %v; want an error starting %q", got, err, tt.want)
				}
				return
			}
			if err != nil || got.Name != tt.want {
				t.Fatalf("Select = %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// TestChoose is the default-remote policy, for every kind of command.
func TestChoose(t *testing.T) {
	none := fakeConfig{}
	one := fakeConfig{"dds.remote.team url": "s3://b/p"}
	two := fakeConfig{"dds.remote.origin url": "s3://b/o", "dds.remote.backup url": "s3://b/b"}
	twoDefault := fakeConfig{"dds.remote.origin url": "s3://b/o", "dds.remote.backup url": "s3://b/b", "dds remote": "backup"}
	noneDefault := fakeConfig{"dds remote": "gone"}
	tests := []struct {
		name string
		cfg  fakeConfig
		req  Request
		want string // the remote chosen, "" for none, or "error"
	}{
		{"required, none", none, Request{Purpose: Required}, "error"},
		{"required, the only one", one, Request{Purpose: Required}, "team"},
		{"required, two", two, Request{Purpose: Required}, "error"},
		{"required, the default", twoDefault, Request{Purpose: Required}, "backup"},
		{"required, named", two, Request{Name: "origin", Purpose: Required}, "origin"},
		{"required, a default that is no remote", noneDefault, Request{Purpose: Required}, "gone"},
		{"if configured, none", none, Request{Purpose: IfConfigured}, ""},
		{"if configured, a default but no remote", noneDefault, Request{Purpose: IfConfigured}, ""},
		{"if configured, two", two, Request{Purpose: IfConfigured}, "error"},
		{"if configured, the only one", one, Request{Purpose: IfConfigured}, "team"},
		{"push, the git remote's namesake", twoDefault, Request{GitRemote: "origin", Purpose: IfConfigured}, "origin"},
		{"push, no namesake", twoDefault, Request{GitRemote: "upstream", Purpose: IfConfigured}, "backup"},
		{"consulted, none", none, Request{Purpose: Consulted}, ""},
		{"consulted, a default but no remote", noneDefault, Request{Purpose: Consulted}, ""},
		{"consulted, two", two, Request{Purpose: Consulted}, ""},
		{"consulted, the default", twoDefault, Request{Purpose: Consulted}, "backup"},
		{"consulted, the only one", one, Request{Purpose: Consulted}, "team"},
	}
	for _, tt := range tests {
		got, err := Choose(tt.cfg.settings(), tt.req)
		if err != nil {
			if !errors.Is(err, ErrNoRemote) {
				t.Errorf("%s: %v does not wrap ErrNoRemote", tt.name, err)
			}
			got = "error"
		}
		if got != tt.want {
			t.Errorf("%s: chose %q (%v), want %q", tt.name, got, err, tt.want)
		}
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw  string
		want Location
		err  string
	}{
		{raw: "s3://bucket", want: Location{Scheme: "s3", Bucket: "bucket"}},
		{raw: "s3://bucket/team/data/", want: Location{Scheme: "s3", Bucket: "bucket", Prefix: "team/data"}},
		{raw: "gs://bucket/p", want: Location{Scheme: "gs", Bucket: "bucket", Prefix: "p"}},
		{raw: "azblob://container/p", want: Location{Scheme: "azblob", Bucket: "container", Prefix: "p"}},
		{raw: "file:///srv/dds/", want: Location{Scheme: "file", Prefix: "/srv/dds"}},
		{raw: "file://localhost/srv/dds", want: Location{Scheme: "file", Prefix: "/srv/dds"}},
		{raw: "s3://", err: "names no bucket"},
		{raw: "s3://key:secret@bucket/p", err: "must not carry credentials"},
		{raw: "s3://bucket/p?endpoint=x", err: "query"},
		{raw: "file://host/srv", err: "names a host"},
		{raw: "file:relative", err: "not an absolute path"},
		{raw: "/srv/dds", err: "no scheme"},
		{raw: "ftp://host/x", err: `does not know the scheme "ftp"`},
		{raw: "s3://bu cket", err: "not a URL"},
	}
	for _, tt := range tests {
		got, err := ParseURL(tt.raw)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseURL(%q) = %v, %v; want an error with %q", tt.raw, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tt.raw, got, err, tt.want)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"s3://b/p", "file:///x", "gs://b", "azblob://c/p/q", "s3://u:p@b", "file://h/x", "::", "s3://b/../.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		loc, err := ParseURL(raw)
		if err != nil {
			return
		}
		// A name may hold dots ("s3://b/v1..2" is a valid key); only a
		// whole "." or ".." segment would step out of the prefix.
		if loc.Prefix != "" && loc.Scheme != "file" {
			for seg := range strings.SplitSeq(loc.Prefix, "/") {
				if seg == "" || seg == "." || seg == ".." {
					t.Fatalf("ParseURL(%q) kept a %q segment in the prefix: %+v", raw, seg, loc)
				}
			}
		}
		if loc.Scheme == "file" && path.Clean(loc.Prefix) != loc.Prefix {
			t.Fatalf("ParseURL(%q) kept an unclean folder: %+v", raw, loc)
		}
		if loc.Scheme != "file" && (loc.Bucket == "" || strings.HasPrefix(loc.Prefix, "/") || strings.HasSuffix(loc.Prefix, "/")) {
			t.Fatalf("ParseURL(%q) = %+v: a bucket and a prefix without slashes around it", raw, loc)
		}
	})
}

// testClone is one clone's store and index, and a remote in a folder.
type testClone struct {
	local Local
	dir   string
}

func newClone(t *testing.T) *testClone {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "dds")
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st.SetDurable(false)
	var mu sync.Mutex
	return &testClone{dir: dir, local: Local{Store: st, WithIndex: func(ctx context.Context, fn func(ix *index.Index) error) error {
		mu.Lock()
		defer mu.Unlock()
		ix, err := index.Open(ctx, dir, index.Options{})
		if err != nil {
			return err
		}
		if err := fn(ix); err != nil {
			return errors.Join(err, ix.Close())
		}
		return ix.Close()
	}}}
}

func newFolderRemote(t *testing.T) (*Remote, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "remote")
	r, err := OpenToPush(context.Background(), Config{Name: "team", URL: "file://" + filepath.ToSlash(root)})
	if err != nil {
		t.Fatal(err)
	}
	return r, root
}

// compute stores a file output and a folder output in c and records them
// under sig, as run does.
func (c *testClone) compute(t *testing.T, sig, content string) *signature.Record {
	t.Helper()
	ctx := context.Background()
	work := t.TempDir()
	file := filepath.Join(work, "out.txt")
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(work, "parts")
	for i, part := range []string{"a", "b/c"} {
		p := filepath.Join(folder, filepath.FromSlash(part))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("%s part %d", content, i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fid, fsize, _, err := c.local.Store.Ingest(ctx, file, store.Copy)
	if err != nil {
		t.Fatal(err)
	}
	did, dsize, _, err := c.local.Store.Ingest(ctx, folder, store.Copy)
	if err != nil {
		t.Fatal(err)
	}
	rec := &signature.Record{Signature: sig, Stage: "s", Host: "h", Time: time.Now().UTC(), Outputs: []signature.Output{
		{Path: "out.txt", ContentID: fid, Size: fsize},
		{Path: "parts", ContentID: did, Size: dsize, Dir: true},
	}}
	if err := c.local.WithIndex(ctx, func(ix *index.Index) error { return ix.Put(rec) }); err != nil {
		t.Fatal(err)
	}
	return rec
}

func sig(n int) string { return fmt.Sprintf("%064x", n) }

// wants asks for sigs as computed by compute: a file and a folder output.
func wants(sigs ...string) []Want {
	w := make([]Want, len(sigs))
	for i, s := range sigs {
		w[i] = Want{Signature: s, Outs: []string{"out.txt", "parts"}}
	}
	return w
}

func TestPushThenFetch(t *testing.T) {
	ctx := context.Background()
	r, _ := newFolderRemote(t)
	a, b := newClone(t), newClone(t)
	rec := a.compute(t, sig(1), "hello")

	tr, err := r.Push(ctx, a.local, []*signature.Record{rec}, PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Moved) != 1 || tr.Objects != 4 {
		t.Fatalf("first push moved %v in %d objects; want the record in 4 (file, manifest, two parts)", tr.Moved, tr.Objects)
	}
	tr, err = r.Push(ctx, a.local, []*signature.Record{rec}, PushOptions{})
	if err != nil || len(tr.Already) != 1 || tr.Objects != 0 {
		t.Fatalf("second push: %+v, %v; want it already there, nothing sent", tr, err)
	}

	tr, recs, err := r.Fetch(ctx, b.local, wants(sig(1), sig(2)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || len(tr.Moved) != 1 || len(tr.Missing) != 1 || tr.Missing[0] != sig(2) {
		t.Fatalf("fetch: %+v; want sig 1 moved and sig 2 missing", tr)
	}
	for _, o := range rec.Outputs {
		if !b.local.Store.HoldsOutput(o.ContentID, o.Dir) {
			t.Errorf("after fetch, b's store lacks %s", o.Path)
		}
	}
	err = b.local.WithIndex(ctx, func(ix *index.Index) error {
		got, ok, err := ix.Get(sig(1))
		if err == nil && (!ok || got.Outputs[1].ContentID != rec.Outputs[1].ContentID) {
			err = fmt.Errorf("b's index has %+v, %v; want a's record", got, ok)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// pushedOne has clone a compute sig 1 and push it to a folder remote; b is
// a clone with nothing.
func pushedOne(t *testing.T) (r *Remote, root string, a, b *testClone, rec *signature.Record) {
	t.Helper()
	r, root = newFolderRemote(t)
	a, b = newClone(t), newClone(t)
	rec = a.compute(t, sig(1), "hello")
	if _, err := r.Push(context.Background(), a.local, []*signature.Record{rec}, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	return r, root, a, b, rec
}

func TestFetchRefusesTamperedObjects(t *testing.T) {
	ctx := context.Background()
	r, root, _, b, rec := pushedOne(t)
	obj := filepath.Join(root, filepath.FromSlash(objectKey(rec.Outputs[0].ContentID)))
	if err := os.Chmod(obj, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(obj, []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, recs, err := r.Fetch(ctx, b.local, wants(sig(1)), nil)
	if !errors.Is(err, ErrCorrupt) || len(recs) != 0 {
		t.Fatalf("fetch of a tampered object: %v, %d records; want ErrCorrupt and none", err, len(recs))
	}
	if b.local.Store.Has(rec.Outputs[0].ContentID) {
		t.Error("the tampered object reached the store")
	}
	err = b.local.WithIndex(ctx, func(ix *index.Index) error {
		if _, ok, err := ix.Get(sig(1)); err != nil || ok {
			return fmt.Errorf("b's index has the record (%v, %v); a record without its objects must not be written", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFetchRefusesARecordUnderAnotherName(t *testing.T) {
	ctx := context.Background()
	r, root, _, b, _ := pushedOne(t)
	data, err := os.ReadFile(filepath.Join(root, "records", sig(1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "records", sig(2)), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Fetch(ctx, b.local, wants(sig(2)), nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("fetch of a record filed under another signature: %v; want ErrCorrupt", err)
	}
}

func TestPresentRemembersWhatItFound(t *testing.T) {
	ctx := context.Background()
	r, root, a, _, _ := pushedOne(t)
	// With the remote gone, what the index remembers still answers.
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	got, err := r.Present(ctx, a.local, []string{sig(1), sig(2)})
	if err != nil || !got[sig(1)] || got[sig(2)] {
		t.Fatalf("Present = %v, %v; want sig 1 from the index, sig 2 absent", got, err)
	}
	// A fetch that finds the record gone forgets it.
	if _, _, err := r.Fetch(ctx, a.local, wants(sig(1)), nil); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Present(ctx, a.local, []string{sig(1)}); err != nil || got[sig(1)] {
		t.Fatalf("after a fetch found it gone, Present = %v, %v; want it asked again and absent", got, err)
	}
}

func TestFolderCreateHasOneWinner(t *testing.T) {
	_, root := newFolderRemote(t)
	d, err := newDirBackend(root, true)
	if err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			err := d.Create(context.Background(), "leases/x", []byte(fmt.Sprint(i)))
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, ErrExists):
				t.Errorf("create %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d of 16 concurrent creates won; want exactly 1", wins.Load())
	}
}

func TestLeases(t *testing.T) {
	ctx := context.Background()
	r, _ := newFolderRemote(t)
	// Long enough that a refresh, due every third of it, is not late on a
	// loaded machine: a late one would let the second taker in.
	r.LeaseTTL = 1500 * time.Millisecond

	lease, computed, err := r.Acquire(ctx, sig(1), "s", func(Holder) { t.Error("the first taker waited") })
	if err != nil || computed || lease == nil {
		t.Fatalf("first Acquire = %v, %v, %v; want a lease", lease, computed, err)
	}
	// A second taker waits while the holder refreshes the lease past its
	// lifetime, then takes it once the holder releases it.
	var waited atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		l2, computed, err := r.Acquire(ctx, sig(1), "s", func(h Holder) { waited.Store(true) })
		if err != nil || computed || l2 == nil {
			t.Errorf("second Acquire = %v, %v, %v; want the lease after the release", l2, computed, err)
			return
		}
		_ = l2.Release(ctx)
	}()
	time.Sleep(2 * r.LeaseTTL)
	select {
	case <-done:
		t.Fatal("the second taker got a lease its holder was still refreshing")
	default:
	}
	if err := lease.Release(ctx); err != nil {
		t.Fatal(err)
	}
	<-done
	if !waited.Load() {
		t.Error("the second taker did not say it waited")
	}

	// A taker waiting on a holder that records the signature gets computed.
	lease, _, err = r.Acquire(ctx, sig(2), "s", func(Holder) {})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = r.backend.Write(ctx, recordKey(sig(2)), strings.NewReader("{}"), 2)
		_ = lease.Release(ctx)
	}()
	l3, computed, err := r.Acquire(ctx, sig(2), "s", func(Holder) {})
	if err != nil || !computed || l3 != nil {
		t.Fatalf("Acquire on a signature recorded meanwhile = %v, %v, %v; want computed and no lease", l3, computed, err)
	}
}

func TestLeaseOfADeadProcessOnThisMachineIsTakenOverAtOnce(t *testing.T) {
	if bootID() == "" {
		t.Skip("this system does not tell its boot id")
	}
	ctx := context.Background()
	r, _ := newFolderRemote(t)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(leaseBody{Host: "here", Pid: gone.Process.Pid, Boot: bootID(), Since: time.Now(), Expires: time.Now().Add(time.Hour)})
	if err := r.backend.Create(ctx, leaseKey(sig(1)), body); err != nil {
		t.Fatal(err)
	}
	lease, computed, err := r.Acquire(ctx, sig(1), "s", func(h Holder) { t.Errorf("waited on %s, a process that is gone", h) })
	if err != nil || computed || lease == nil {
		t.Fatalf("Acquire = %v, %v, %v; want the lease", lease, computed, err)
	}
	_ = lease.Release(ctx)
}

func TestBucketDriversLeftOutOfTheBuildSaySo(t *testing.T) {
	for _, tt := range []struct {
		url, tag string
		built    bool
	}{{"gs://bucket/p", "gcs", gcsBuilt}, {"azblob://container/p", "azure", azureBuilt}} {
		if tt.built {
			continue
		}
		_, err := Open(context.Background(), Config{Name: "x", URL: tt.url})
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "go build -tags "+tt.tag) {
			t.Errorf("Open(%s) = %v; want a settings error naming the build tag %s", tt.url, err, tt.tag)
		}
	}
}

// TestPushSendsNoDamagedObject: a local object damaged on disk is not
// uploaded under an id it does not have, and the record naming it stays
// home; the rest of the push goes through.
func TestPushSendsNoDamagedObject(t *testing.T) {
	ctx := context.Background()
	r, root := newFolderRemote(t)
	a := newClone(t)
	bad := a.compute(t, sig(1), "hello")
	good := a.compute(t, sig(2), "other")
	obj := a.local.Store.Path(bad.Outputs[0].ContentID)
	if err := os.Chmod(obj, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(obj, []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	tr, err := r.Push(ctx, a.local, []*signature.Record{bad, good}, PushOptions{})
	if !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("push of a damaged object: %v; want store.ErrCorrupt", err)
	}
	if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(objectKey(bad.Outputs[0].ContentID)))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the damaged object is in the remote (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(root, "records", sig(1))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the record naming the damaged object is in the remote (%v)", err)
	}
	if len(tr.Moved) != 1 || tr.Moved[0] != sig(2) {
		t.Errorf("push moved %v; want the sound record alone", tr.Moved)
	}
}

// TestFolderRemoteStaysInside: the keys of a folder remote are as hostile
// as a bucket's. A folder or a record replaced by a symbolic link leading
// out of the remote is neither written through nor read, and a key with
// ".." in it is refused.
func TestFolderRemoteStaysInside(t *testing.T) {
	ctx := context.Background()
	r, root, a, b, rec := pushedOne(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	data, err := os.ReadFile(filepath.Join(root, "records", sig(1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// The record now is a link to a file outside the remote.
	if err := os.Remove(filepath.Join(root, "records", sig(1))); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(root, "records", sig(1))); err != nil {
		t.Fatal(err)
	}
	if _, recs, err := r.Fetch(ctx, b.local, wants(sig(1)), nil); err == nil || len(recs) != 0 {
		t.Errorf("fetch through a record linked outside the remote: %v, %d records; want an error and none", err, len(recs))
	}
	// The objects folder now is a link to a folder outside the remote.
	if err := os.RemoveAll(filepath.Join(root, "objects")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "objects")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Push(ctx, a.local, []*signature.Record{rec}, PushOptions{Again: true}); err == nil {
		t.Error("push through an objects folder linked outside the remote succeeded")
	}
	entries, err := os.ReadDir(outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("push wrote %d entries outside the remote, in %s", len(entries)-1, outside)
	}
	for _, key := range []string{"../x", "records/../../x", "/etc/passwd", "a//b", "./a", ""} {
		if _, err := r.backend.Open(ctx, key); !errors.Is(err, errBadKey) {
			t.Errorf("Open(%q) = %v; want errBadKey", key, err)
		}
		if err := r.backend.Write(ctx, key, strings.NewReader("x"), 1); !errors.Is(err, errBadKey) {
			t.Errorf("Write(%q) = %v; want errBadKey", key, err)
		}
	}
}

// TestForgedLeaseLapses: a lease no git dds could have written (an expiry
// centuries away, a host name holding terminal escapes, no pid) holds
// nobody back: it is taken over at once.
func TestForgedLeaseLapses(t *testing.T) {
	for name, body := range map[string]string{
		"far expiry":  `{"host":"h","pid":1,"stage":"s","since":"2020-01-01T00:00:00Z","expires":"9999-01-01T00:00:00Z"}`,
		"escape host": `{"host":"h\u001b]0;x\u0007","pid":1,"stage":"s","since":"2020-01-01T00:00:00Z","expires":"` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `"}`,
		"no pid":      `{"host":"h","pid":0,"stage":"s","since":"2020-01-01T00:00:00Z","expires":"` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			r, _ := newFolderRemote(t)
			if err := r.backend.Create(ctx, leaseKey(sig(1)), []byte(body)); err != nil {
				t.Fatal(err)
			}
			lease, computed, err := r.Acquire(ctx, sig(1), "s", func(h Holder) { t.Errorf("waited for %s", h) })
			if err != nil || computed || lease == nil {
				t.Fatalf("Acquire over a forged lease = %v, %v, %v; want the lease", lease, computed, err)
			}
			_ = lease.Release(ctx)
		})
	}
}

// TestFetchRefusesHostileRecords: a record that does not decode, or
// decodes to one naming a path it must not, is refused with ErrCorrupt,
// never a panic, and never reaches the index.
func TestFetchRefusesHostileRecords(t *testing.T) {
	ctx := context.Background()
	for name, body := range map[string]string{
		"not json":        "\x00\xff",
		"empty":           "",
		"other version":   `{"v":9}`,
		"path outside":    `{"v":1,"signature":"` + sig(1) + `","stage":"s","outputs":[{"path":"../x","content_id":"` + sig(3) + `","size":1},{"path":"parts","content_id":"` + sig(3) + `","size":1,"dir":true}]}`,
		"undeclared path": `{"v":1,"signature":"` + sig(1) + `","stage":"s","outputs":[{"path":"out.txt","content_id":"` + sig(3) + `","size":1},{"path":"dds.yaml","content_id":"` + sig(3) + `","size":1}]}`,
		"missing output":  `{"v":1,"signature":"` + sig(1) + `","stage":"s","outputs":[{"path":"out.txt","content_id":"` + sig(3) + `","size":1}]}`,
		"escape in input": `{"v":1,"signature":"` + sig(1) + `","stage":"s","outputs":[{"path":"out.txt","content_id":"` + sig(3) + `","size":1},{"path":"parts","content_id":"` + sig(3) + `","size":1,"dir":true}],"inputs":[{"kind":"env","name":"X","value":"\u001b]0;pwned\u0007"}]}`,
		"bad id":          `{"v":1,"signature":"` + sig(1) + `","stage":"s","outputs":[{"path":"out.txt","content_id":"../../x","size":1},{"path":"parts","content_id":"` + sig(3) + `","size":1,"dir":true}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			r, root, _, b, _ := pushedOne(t)
			rec := filepath.Join(root, "records", sig(1))
			if err := os.Chmod(rec, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(rec, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, recs, err := r.Fetch(ctx, b.local, wants(sig(1)), nil)
			if !errors.Is(err, ErrCorrupt) || len(recs) != 0 {
				t.Fatalf("fetch: %v, %d records; want ErrCorrupt and none", err, len(recs))
			}
			if !strings.Contains(err.Error(), "remote team") || !strings.Contains(err.Error(), "key records/"+sig(1)) {
				t.Errorf("the refusal does not name the remote and the key: %v", err)
			}
			err = b.local.WithIndex(ctx, func(ix *index.Index) error {
				if _, ok, err := ix.Get(sig(1)); err != nil || ok {
					return fmt.Errorf("the index has the record (%v, %v)", ok, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// FuzzCheckRecord: whatever bytes a remote returns as a record, checking
// them never panics, and a record accepted names exactly the outputs
// asked for, at paths that stay inside the repository.
func FuzzCheckRecord(f *testing.F) {
	f.Add([]byte(`{"v":1,"signature":"`+sig(1)+`","stage":"s","outputs":[{"path":"out.txt","content_id":"`+sig(3)+`","size":1},{"path":"parts","content_id":"`+sig(3)+`","size":1,"dir":true}]}`), "out.txt")
	f.Add([]byte(`{"v":1,"signature":"`+sig(1)+`","stage":"s","outputs":[{"path":"../x","content_id":"`+sig(3)+`","size":1}]}`), "../x")
	f.Add([]byte(`{"v":1}`), "")
	f.Add([]byte(`{"v":1,"signature":"`+sig(1)+`","stage":"s","outputs":[{"path":"out.txt","content_id":"`+sig(3)+`","size":1}],"cut_off":{"signature":"`+sig(2)+`","upstream":["clean"]}}`), "out.txt")
	f.Add([]byte(`{"v":1,"signature":"`+sig(1)+`","stage":"s","outputs":[],"cut_off":{"signature":"x","upstream":["\u001b[2J"]}}`), "")
	f.Fuzz(func(t *testing.T, data []byte, out string) {
		outs := []string{out, "parts"}
		rec, err := checkRecord(data, sig(1), outs)
		if err != nil {
			return
		}
		if rec.Signature != sig(1) || len(rec.Outputs) != len(outs) {
			t.Fatalf("accepted %+v for %v", rec, outs)
		}
		// What run and log print of a cut-off: a signature and stage
		// names, no terminal escape.
		if c := rec.CutOff; c != nil {
			if !store.ValidID(c.Signature) || len(c.Upstream) == 0 {
				t.Fatalf("accepted cut-off %+v", c)
			}
			for _, name := range c.Upstream {
				if name == "" || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '/' }) {
					t.Fatalf("accepted cut-off upstream %q", name)
				}
			}
		}
		for _, o := range rec.Outputs {
			if o.Path != out && o.Path != "parts" {
				t.Fatalf("accepted output %q, not asked for", o.Path)
			}
			if signature.CheckOutputPath(o.Path) != nil || !store.ValidID(o.ContentID) || o.Size < 0 {
				t.Fatalf("accepted output %+v", o)
			}
			root := "/repo"
			if abs := path.Join(root, o.Path); !strings.HasPrefix(abs, root+"/") || strings.Contains(strings.ToLower(abs), "/.git/") || strings.HasSuffix(strings.ToLower(abs), "/.git") {
				t.Fatalf("accepted output %q leads to %s", o.Path, abs)
			}
		}
	})
}

// TestSecretsInSettingsAreRefusedUnsaid checks the class of settings that
// carry a credential: user info, a query or a fragment, in the URL or the
// endpoint, in a well-formed URL or not. Each is refused as a setting error
// that says where credentials go, and none repeats the secret.
func TestSecretsInSettingsAreRefusedUnsaid(t *testing.T) {
	const secret = "Zq7SECRETvalue"
	tests := []struct{ url, endpoint string }{
		{"s3://AKIA" + secret + ":pw@bucket/p", ""},
		{"s3://user:" + secret + "@bucket/p", ""},
		{"s3://bucket/p?token=" + secret, ""},
		{"s3://bucket/p#" + secret, ""},
		{"s3://user:" + secret + "%zz@bucket/p", ""},
		{"s3://bu cket/p?token=" + secret, ""},
		{"file:///srv/dds?sig=" + secret, ""},
		{"s3://bucket/p", "http://minio:" + secret + "@127.0.0.1:9000"},
		{"s3://bucket/p", "http://" + secret + "@127.0.0.1:9000"},
		{"s3://bucket/p", "https://minio.internal/?X-Amz-Security-Token=" + secret},
		{"s3://bucket/p", "https://minio.internal/#" + secret},
		{"s3://bucket/p", "http://u:" + secret + "%zz@127.0.0.1:9000"},
		{"s3://bucket/p", "http://u:" + secret + "@bad host:9000"},
		{"s3://bucket/p", "minio:" + secret + "@127.0.0.1:9000"},
	}
	for _, tt := range tests {
		cfg := fakeConfig{"dds.remote.origin url": tt.url}
		if tt.endpoint != "" {
			cfg["dds.remote.origin endpoint"] = tt.endpoint
		}
		c, err := Select(cfg.settings(), "")
		if err == nil {
			t.Errorf("url %q, endpoint %q: accepted as %+v", tt.url, tt.endpoint, c)
			continue
		}
		if !errors.Is(err, ErrConfig) {
			t.Errorf("url %q, endpoint %q: %v is not a setting error", tt.url, tt.endpoint, err)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("url %q, endpoint %q: the error repeats the secret: %v", tt.url, tt.endpoint, err)
		}
	}
}

func TestEndpoints(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:9000", "https://minio.internal", "https://s3.example.com/ceph/"} {
		if _, err := Select(fakeConfig{"dds.remote.o url": "s3://b/p", "dds.remote.o endpoint": ok}.settings(), ""); err != nil {
			t.Errorf("endpoint %q: %v", ok, err)
		}
	}
	for _, bad := range []string{"127.0.0.1:9000", "ftp://host", "http://", "http:///path"} {
		_, err := Select(fakeConfig{"dds.remote.o url": "s3://b/p", "dds.remote.o endpoint": bad}.settings(), "")
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "dds.remote.o.endpoint") {
			t.Errorf("endpoint %q: %v; want a setting error naming dds.remote.o.endpoint", bad, err)
		}
	}
}

// FuzzRedact checks that what Redact leaves never holds the user info,
// query or fragment that url.Parse finds in a URL.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"s3://u:p@b/x", "http://h:9000/?token=t", "http://a/b#frag", "m:p@h", "http://u:p/q@h", "::@?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		shown := Redact(raw)
		if strings.ContainsAny(shown, "?#") && !strings.HasSuffix(shown, "…") {
			t.Fatalf("Redact(%q) = %q keeps text after a ? or #", raw, shown)
		}
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		if u.User != nil && u.User.String() != "" && strings.Contains(shown, u.User.String()+"@") {
			t.Fatalf("Redact(%q) = %q keeps the user info", raw, shown)
		}
		if p, ok := u.User.Password(); ok && p != "" && strings.Contains(shown, ":"+p) {
			t.Fatalf("Redact(%q) = %q keeps the password", raw, shown)
		}
	})
}

// FuzzSettingSecrets builds URLs and endpoints with a secret in their user
// info, query or fragment around fuzzed text: each is refused, and the
// refusal never repeats the secret.
func FuzzSettingSecrets(f *testing.F) {
	f.Add("http://", "127.0.0.1:9000/", byte(0))
	f.Add("s3://", "bucket/p", byte(1))
	f.Add("https://h/", "", byte(2))
	f.Add("minio:", "h:1", byte(3))
	f.Fuzz(func(t *testing.T, before, after string, how byte) {
		const secret = "QWsecretTOKENzx"
		var raw string
		switch how % 3 {
		case 0:
			raw = before + "u:" + secret + "@" + after
		case 1:
			raw = before + after + "?k=" + secret
		default:
			raw = before + after + "#" + secret
		}
		if strings.Contains(before+after, secret[:4]) {
			return
		}
		for _, cfg := range []fakeConfig{
			{"dds.remote.o url": raw},
			{"dds.remote.o url": "s3://b/p", "dds.remote.o endpoint": raw},
		} {
			c, err := Select(cfg.settings(), "")
			if err == nil {
				if u, perr := url.Parse(c.URL); perr != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
					t.Fatalf("url %q accepted", c.URL)
				}
				if u, perr := url.Parse(c.Endpoint); c.Endpoint != "" && (perr != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "") {
					t.Fatalf("endpoint %q accepted", c.Endpoint)
				}
				continue
			}
			if strings.Contains(err.Error(), secret[:6]) {
				t.Fatalf("%v: the error repeats the secret: %v", cfg, err)
			}
		}
	})
}

// The files of a fetched folder are split so that every worker has some
// batches, no batch is empty or over the bound, and all files are covered.
func TestReceiveBatchSize(t *testing.T) {
	for _, jobs := range []int{0, 1, 2, 8, 64} {
		for _, n := range []int{1, 2, 7, 31, 32, 33, 100, 1000, 10000, 100000, 1000000} {
			per := receiveBatchSize(n, jobs)
			if per < 1 || per > 1024 {
				t.Fatalf("receiveBatchSize(%d, %d) = %d; want 1 to 1024", n, jobs, per)
			}
			batches := (n + per - 1) / per
			if want := min(n, max(jobs, 1)); batches < want {
				t.Errorf("receiveBatchSize(%d, %d) = %d: %d batches for %d workers", n, jobs, per, batches, want)
			}
		}
	}
}

// A fetch records exactly the computations whose outputs the store then
// holds whole, as a look at the store from scratch tells: objects found
// there before, received now, or refused (a damaged file of a folder)
// alike.
func TestFetchRecordsWhatArrivedWhole(t *testing.T) {
	ctx := context.Background()
	r, root := newFolderRemote(t)
	a, b := newClone(t), newClone(t)
	var recs []*signature.Record
	for i, content := range []string{"hello", "world", "third", "fourth"} {
		recs = append(recs, a.compute(t, sig(i+1), content))
	}
	if _, err := r.Push(ctx, a.local, recs, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	// b holds sig 2's objects already, and sig 4's folder but not its file.
	b.compute(t, sig(9), "world")
	m, err := a.local.Store.ReadManifest(recs[3].Outputs[1].ContentID)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range append([]string{recs[3].Outputs[1].ContentID}, m.Entries[0].ID, m.Entries[len(m.Entries)-1].ID) {
		f, err := a.local.Store.Open(id)
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.local.Store.Receive(ctx, id, f, 0)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	// A file of sig 3's folder is damaged in the remote.
	m3, err := a.local.Store.ReadManifest(recs[2].Outputs[1].ContentID)
	if err != nil {
		t.Fatal(err)
	}
	obj := filepath.Join(root, filepath.FromSlash(objectKey(m3.Entries[0].ID)))
	if err := os.Chmod(obj, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(obj, []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}

	_, got, err := r.Fetch(ctx, b.local, wants(sig(1), sig(2), sig(3), sig(4)), nil)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("fetch with a damaged file: %v; want ErrCorrupt", err)
	}
	recorded := map[string]bool{}
	for _, rec := range got {
		recorded[rec.Signature] = true
	}
	for _, rec := range recs {
		whole := true
		for _, o := range rec.Outputs {
			whole = whole && b.local.Store.HoldsOutput(o.ContentID, o.Dir)
		}
		var inIndex bool
		err := b.local.WithIndex(ctx, func(ix *index.Index) error {
			_, ok, err := ix.Get(rec.Signature)
			inIndex = ok
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if recorded[rec.Signature] != whole || inIndex != whole {
			t.Errorf("signature %s: returned %v, in the index %v; the store holds its outputs whole: %v", ui.ShortID(rec.Signature), recorded[rec.Signature], inIndex, whole)
		}
	}
	if recorded[sig(3)] || !recorded[sig(2)] {
		t.Errorf("recorded %v; want sig 2 (already here) and never sig 3 (damaged)", recorded)
	}
}
