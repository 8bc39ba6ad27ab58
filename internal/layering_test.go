package internal_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/git-dds/git-dds"

// mayImport is the layering of this module: for each of its packages
// (named by its path in the module), the module packages its code and its
// in-package tests may import. An import missing here fails
// TestLayering, so a new arrow between packages is a decision made here,
// and the table must stay free of cycles: data flows one way.
//
// The packages are listed from the bottom (imports nothing of the module)
// to the top (the commands).
var mayImport = map[string][]string{
	// Helpers that know nothing of git dds.
	"internal/parallel":  nil,
	"internal/interrupt": nil,
	"internal/ui":        nil, // human wording: sizes, durations, ids, progress
	"internal/mangen":    nil,
	"internal/audit":     nil, // tracing a command for the files it reads
	"internal/blake3":    {"internal/parallel"},

	// What a repository holds: git, the pipeline, signatures, the index of
	// computations, objects. The store knows files and ids, not records.
	"internal/gitref":    {"internal/parallel"},
	"internal/pipeline":  nil,
	"internal/metrics":   nil,                  // metrics files: names to numbers
	"internal/plots":     {"internal/metrics"}, // plots files: series
	"internal/signature": {"internal/blake3", "internal/gitref", "internal/pipeline", "internal/ui"},
	"internal/index":     {"internal/blake3", "internal/signature"},
	"internal/store":     {"internal/blake3"},
	"internal/pin":       {"internal/blake3"}, // pin files: data outside git, by reference

	// Every dds.* setting, read once from git config and .ddsconfig.
	"internal/config": {"internal/gitref", "internal/store"},

	// What git dds does with them.
	"internal/namespace": {"internal/blake3", "internal/gitref", "internal/index", "internal/pipeline",
		"internal/signature"},
	"internal/remote": {"internal/blake3", "internal/config", "internal/gitref", "internal/index",
		"internal/parallel", "internal/signature", "internal/store", "internal/ui"},
	// The lake: external outputs on object storage, through the remote's
	// drivers.
	"internal/lake": {"internal/blake3", "internal/config", "internal/gitref", "internal/pipeline", "internal/remote"},
	"internal/workspace": {"internal/audit", "internal/blake3", "internal/config", "internal/gitref", "internal/index", "internal/interrupt", "internal/lake",
		"internal/metrics", "internal/namespace", "internal/parallel", "internal/pin", "internal/pipeline", "internal/remote",
		"internal/signature", "internal/store", "internal/ui"},
	"internal/history": {"internal/gitref", "internal/index", "internal/namespace", "internal/pipeline",
		"internal/signature", "internal/ui", "internal/workspace"},
	"internal/results": {"internal/index", "internal/metrics", "internal/namespace", "internal/pipeline", "internal/plots", "internal/signature",
		"internal/store", "internal/workspace"},
	"internal/experiment": {"internal/gitref", "internal/namespace", "internal/parallel", "internal/pipeline",
		"internal/remote", "internal/ui", "internal/workspace"}, // parameter sweeps on hidden refs
	"internal/graph": {"internal/ui"}, // a renderer of its own plain input
	"internal/chart": nil,             // line charts of its own plain input
	"internal/hooks": {"internal/config", "internal/gitref", "internal/index", "internal/namespace", "internal/pipeline",
		"internal/remote", "internal/signature", "internal/ui", "internal/workspace"},
	"internal/maintenance": {"internal/config", "internal/gitref", "internal/index", "internal/lake", "internal/namespace", "internal/pipeline",
		"internal/remote", "internal/signature", "internal/store", "internal/workspace"},

	// The commands and their tests.
	"internal/cli": {"internal/chart", "internal/config", "internal/experiment", "internal/gitref", "internal/graph", "internal/history", "internal/hooks",
		"internal/index", "internal/interrupt", "internal/lake", "internal/maintenance", "internal/mangen", "internal/metrics",
		"internal/namespace", "internal/pin", "internal/pipeline", "internal/remote", "internal/results", "internal/signature",
		"internal/store", "internal/ui", "internal/workspace"},
	"cmd/git-dds": {"internal/cli"},
	"e2e":         {"internal/cli"},

	// Beside the product.
	"bench/gen":       nil,                                      // the benchmarks' data generator
	"bench/fillindex": {"internal/index", "internal/signature"}, // records for the index-size benchmark
	"docs":            nil,                                      // the docs' checks: links, the generated reference
	"internal":        nil,                                      // this test
}

// ownedBy names, for a dependency outside the module that embodies one
// concept, the only module packages that may import it (or a package under
// it): the database of the index stays behind the index's API, and git
// behind gitref's.
var ownedBy = map[string][]string{
	"github.com/dgraph-io/badger": {"internal/index"},
	"github.com/go-git/go-git":    {"internal/gitref"},
	"gonum.org/v1/plot":           {"internal/chart"},
}

// listed is what TestLayering reads of `go list -json`.
type listed struct {
	ImportPath  string
	Imports     []string
	TestImports []string
	Error       *struct{ Err string }
}

// TestLayering fails on an import between the module's packages that
// mayImport does not allow, and on an import of a dependency that ownedBy
// keeps to other packages. External test packages (package x_test) are
// left out: they use their package from above, as the commands do.
func TestLayering(t *testing.T) {
	if err := checkAcyclic(mayImport); err != nil {
		t.Fatalf("mayImport: %v", err)
	}
	pkgs := listModule(t)
	seen := map[string]bool{}
	for _, p := range pkgs {
		name := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		seen[name] = true
		allowed, ok := mayImport[name]
		if !ok {
			t.Errorf("%s is not in the layering: add it to mayImport in internal/layering_test.go with what it may import", name)
			continue
		}
		imports := append(slices.Clone(p.Imports), p.TestImports...)
		slices.Sort(imports)
		for _, imp := range slices.Compact(imports) {
			if violation := checkImport(name, imp, allowed); violation != "" {
				t.Error(violation)
			}
		}
	}
	for name := range mayImport {
		if !seen[name] {
			t.Errorf("mayImport lists %s, which is no package of the module: remove it or fix its name", name)
		}
	}
}

// checkImport says why package name may not import imp, or "" when it may.
func checkImport(name, imp string, allowed []string) string {
	if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
		if slices.Contains(allowed, rel) {
			return ""
		}
		may := "nothing of the module"
		if len(allowed) > 0 {
			may = strings.Join(allowed, ", ")
		}
		return fmt.Sprintf("%s imports %s, against the layering: %s may import %s (mayImport in internal/layering_test.go)",
			name, rel, name, may)
	}
	for dep, owners := range ownedBy {
		if (imp == dep || strings.HasPrefix(imp, dep+"/")) && !slices.Contains(owners, name) {
			return fmt.Sprintf("%s imports %s, which only %s may import (ownedBy in internal/layering_test.go)",
				name, imp, strings.Join(owners, ", "))
		}
	}
	return ""
}

// listModule lists every package of the module with the build tags that
// add files of their own (the bucket drivers, profiling), so that no
// import hides behind one.
func listModule(t *testing.T) []listed {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,TestImports,Error",
		"-tags", "gcs,azure,profile", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("reading go list: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no package in the module")
	}
	return pkgs
}

// checkAcyclic fails when the table lets a package import, through other
// packages, one that imports it: go would refuse the cycle only once it is
// written, the table should refuse it before.
func checkAcyclic(table map[string][]string) error {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case visiting:
			return fmt.Errorf("a cycle: %s", strings.Join(append(path, name), " -> "))
		case done:
			return nil
		}
		state[name] = visiting
		for _, dep := range table[name] {
			if err := visit(dep, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = done
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(table)) {
		if err := visit(name, nil); err != nil {
			return err
		}
	}
	return nil
}
