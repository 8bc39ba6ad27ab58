package remote

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestAnyAsksOnce: on a bucket, Any is one listing request for a few
// keys, however many objects are under the prefix, and a folder marker
// (a key ending in "/") is no object.
func TestAnyAsksOnce(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	keys := map[string][]string{
		"lake/full/":   {"lake/full/a", "lake/full/b"},
		"lake/marker/": {"lake/marker/"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.Method+" "+r.URL.RawQuery)
		mu.Unlock()
		q := r.URL.Query()
		if r.Method != http.MethodGet || q.Get("list-type") != "2" {
			http.Error(w, "only listings here", http.StatusNotImplemented)
			return
		}
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><Prefix>%s</Prefix><IsTruncated>false</IsTruncated>`, q.Get("prefix"))
		for _, k := range keys[q.Get("prefix")] {
			fmt.Fprintf(&b, `<Contents><Key>%s</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><Size>1</Size><ETag>"e"</ETag></Contents>`, k)
		}
		b.WriteString(`</ListBucketResult>`)
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, b.String())
	}))
	defer srv.Close()
	for _, v := range []string{"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		t.Setenv(v, "/nonexistent")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_PROFILE", "")
	ctx := context.Background()
	s, err := OpenStorage(ctx, Place{URL: "s3://b/lake", Endpoint: srv.URL, Region: "us-east-1", Setting: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for prefix, want := range map[string]bool{"full/": true, "marker/": false, "none/": false} {
		mu.Lock()
		asked = nil
		mu.Unlock()
		got, err := s.Any(ctx, prefix)
		if err != nil {
			t.Fatalf("Any(%s): %v", prefix, err)
		}
		if got != want {
			t.Errorf("Any(%s) = %v, want %v", prefix, got, want)
		}
		mu.Lock()
		if len(asked) != 1 || !strings.Contains(asked[0], fmt.Sprintf("max-keys=%d", anyPage)) {
			t.Errorf("Any(%s) asked %q; want one listing of %d keys", prefix, asked, anyPage)
		}
		mu.Unlock()
	}
}
