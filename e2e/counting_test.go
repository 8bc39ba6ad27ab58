package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
)

// countingProxy stands between git dds and the script's MinIO and counts
// the requests that pass, so that a script can assert how many a command
// makes (one per output for status --verify, none for a plain status).
// The requests and their signatures pass unchanged: the Host header stays
// the proxy's, which is what the client signed.
type countingProxy struct {
	mu     sync.Mutex
	counts map[string]int
	server *http.Server
}

type countingKey struct{}

// `minio-count start [-strip ELEMENT]`: the proxy, its address in
// $DDS_COUNTED_ENDPOINT; with -strip, it also removes every ELEMENT from
// the listings MinIO sends, as a hostile or broken server would.
// `minio-count`: prints the requests counted since the last print, a
// "METHOD N" line each, and forgets them.
func cmdMinioCount(ts *testscript.TestScript, neg bool, args []string) {
	strip := ""
	if len(args) == 3 && args[0] == "start" && args[1] == "-strip" {
		strip, args = args[2], args[:1]
	}
	if neg || len(args) > 1 || len(args) == 1 && args[0] != "start" {
		ts.Fatalf("usage: minio-count [start [-strip ELEMENT]]")
	}
	server, ok := ts.Value(minioKey{}).(*minioServer)
	if !ok {
		ts.Fatalf("minio-count: this run has no MinIO; guard the line with [s3]")
	}
	p := ts.Value(countingKey{}).(*countingProxy)
	if len(args) == 1 {
		if p.server != nil {
			ts.Fatalf("minio-count start: the proxy is already running")
		}
		target, err := url.Parse(server.endpoint())
		ts.Check(err)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		ts.Check(err)
		proxy := httputil.NewSingleHostReverseProxy(target)
		if strip != "" {
			element := regexp.MustCompile("<" + regexp.QuoteMeta(strip) + ">[^<]*</" + regexp.QuoteMeta(strip) + ">")
			proxy.ModifyResponse = func(resp *http.Response) error {
				if resp.Request.URL.Query().Get("list-type") != "2" {
					return nil
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					return err
				}
				body = element.ReplaceAll(body, nil)
				resp.Body = io.NopCloser(bytes.NewReader(body))
				resp.ContentLength = int64(len(body))
				resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
				return nil
			}
		}
		p.counts = map[string]int{}
		p.server = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.mu.Lock()
			p.counts[r.Method]++
			p.mu.Unlock()
			proxy.ServeHTTP(w, r)
		})}
		go p.server.Serve(ln)
		ts.Defer(func() { p.server.Close() })
		ts.Setenv("DDS_COUNTED_ENDPOINT", "http://"+ln.Addr().String())
		return
	}
	if p.server == nil {
		ts.Fatalf("minio-count: `minio-count start` first")
	}
	p.mu.Lock()
	var lines []string
	for method, n := range p.counts {
		lines = append(lines, fmt.Sprintf("%s %d\n", method, n))
	}
	p.counts = map[string]int{}
	p.mu.Unlock()
	slices.Sort(lines)
	fmt.Fprint(ts.Stdout(), strings.Join(lines, ""))
}
