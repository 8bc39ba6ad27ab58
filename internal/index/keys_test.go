package index

import (
	"errors"
	"strings"
	"testing"
)

func TestPlacedPath(t *testing.T) {
	tests := []struct {
		key, want string
		ok        bool
	}{
		{"wt/0123abcd/out/model.bin", "out/model.bin", true},
		{"wt/0123abcd/out", "out", true},
		{"wt/0123abcd/", "", false},
		{"wt/0123abcd", "", false},
		{"ns/refs/heads/main", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := placedPath(tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("placedPath(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzPlacedPath(f *testing.F) {
	f.Add("wt/0123abcd/out/model.bin")
	f.Add("wt//")
	f.Add("ns/x")
	f.Fuzz(func(t *testing.T, key string) {
		path, ok := placedPath(key)
		if ok && (path == "" || !strings.HasSuffix(key, "/"+path)) {
			t.Fatalf("placedPath(%q) = %q", key, path)
		}
	})
}

func TestPlacedNotes(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	a := Placed{ContentID: strings.Repeat("a", 64), Fingerprint: "f1"}
	b := Placed{ContentID: strings.Repeat("b", 64), Dir: true, Fingerprint: "f2"}
	err := ix.Batch(func(bt *Batch) error {
		return errors.Join(bt.PutPlaced("one", "out/a", a), bt.PutPlaced("old", "out/b", b), bt.PutPlaced("one", "out/c", a))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.putRaw(placedKey("one", "out/bad"), []byte("{")); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := ix.PlacedAt("out/b", "one", "old"); !ok || err != nil || got != b {
		t.Errorf("PlacedAt(out/b, one, old) = %v, %v, %v; want the note under old", got, ok, err)
	}
	if _, ok, err := ix.PlacedAt("out/bad", "one", "old"); ok || err != nil {
		t.Errorf("PlacedAt of an undecodable note = %v, %v; want not ok", ok, err)
	}
	in := map[string]Placed{}
	if err := ix.PlacedIn("one", func(p string, n Placed) error { in[p] = n; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(in) != 3 || in["out/a"] != a || in["out/bad"] != (Placed{}) {
		t.Errorf("PlacedIn(one) = %v", in)
	}
	var all []string
	if err := ix.AllPlaced(func(p string, _ Placed) error { all = append(all, p); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(all, " ") != "out/b out/a out/bad out/c" {
		t.Errorf("AllPlaced gave %q", all)
	}
	if err := ix.Batch(func(bt *Batch) error { return bt.DeletePlaced("one", "out/a") }); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := ix.PlacedAt("out/a", "one"); ok {
		t.Error("a deleted note is still there")
	}
}

func TestNamespacesAreScopedToTheirRepository(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	err := ix.Batch(func(b *Batch) error {
		return errors.Join(b.PutNamespace("/r1/.git", "refs/heads/main", []byte("one")), b.PutNamespace("/r2/.git", "refs/heads/main", []byte("two")))
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok, err := ix.Namespace("/r2/.git", "refs/heads/main"); !ok || err != nil || string(v) != "two" {
		t.Errorf("Namespace(r2) = %q, %v, %v", v, ok, err)
	}
	var all []string
	if err := ix.ForEachNamespace(func(v []byte) error { all = append(all, string(v)); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Errorf("ForEachNamespace gave %q", all)
	}
}

func TestRemoteKeys(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	sig := strings.Repeat("5", 64)
	err := ix.Batch(func(b *Batch) error {
		return errors.Join(b.NoteRemoteHolds(RemoteRecord("r1", sig)), b.NoteRemoteHolds(RemoteObject("r1", sig)), b.NoteRemoteHolds(RemoteRecord("r2", sig)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := ix.RemoteHolds(RemoteRecord("r2", sig)); !ok || err != nil {
		t.Errorf("RemoteHolds(r2) = %v, %v", ok, err)
	}
	if ok, _ := ix.RemoteHolds(RemoteObject("r2", sig)); ok {
		t.Error("r2 holds an object it was never seen holding")
	}
	var keys []RemoteKey
	if err := ix.RemoteKeys("r1", func(k RemoteKey) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("RemoteKeys(r1) = %q", keys)
	}
	if err := ix.Batch(func(b *Batch) error { return b.ForgetRemoteHolds(keys[0]) }); err != nil {
		t.Fatal(err)
	}
	if ok, _ := ix.RemoteHolds(keys[0]); ok {
		t.Error("a forgotten key is still remembered")
	}
}

func TestContentKeys(t *testing.T) {
	ix := openTestIndex(t, t.TempDir())
	key, sig, other := strings.Repeat("c", 64), strings.Repeat("a", 64), strings.Repeat("b", 64)
	if _, ok, err := ix.SignatureOfContent(key); ok || err != nil {
		t.Fatalf("SignatureOfContent of an empty index = %v, %v", ok, err)
	}
	if err := ix.Batch(func(b *Batch) error { return b.PutContentKey(key, sig) }); err != nil {
		t.Fatal(err)
	}
	// The newest computation under a key replaces the one before.
	if err := ix.Batch(func(b *Batch) error { return b.PutContentKey(key, other) }); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := ix.SignatureOfContent(key); !ok || err != nil || got != other {
		t.Errorf("SignatureOfContent = %q, %v, %v; want %s", got, ok, err, other)
	}
	// What is stored is checked: a damaged entry names no signature.
	if err := ix.putRaw(contentKeyPrefix+"bad", []byte("../../x")); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ix.SignatureOfContent("bad"); ok || err != nil {
		t.Errorf("SignatureOfContent of a damaged entry = %v, %v; want not ok", ok, err)
	}
	seen := map[string]string{}
	if err := ix.ForEachContentKey(func(k, s string) error { seen[k] = s; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[key] != other {
		t.Errorf("ForEachContentKey saw %v", seen)
	}
	if err := ix.Batch(func(b *Batch) error { return b.DeleteContentKey(key) }); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := ix.SignatureOfContent(key); ok {
		t.Error("a deleted content key is still found")
	}
}
