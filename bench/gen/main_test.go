package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestValidate(t *testing.T) {
	good := config{dir: "d", stages: 3, files: 10, upstream: 0.5}
	tests := []struct {
		name    string
		change  func(*config)
		wantErr string
	}{
		{name: "good", change: func(*config) {}},
		{name: "no dir", change: func(c *config) { c.dir = "" }, wantErr: "-dir is required"},
		{name: "no stages", change: func(c *config) { c.stages = 0 }, wantErr: "at least 1"},
		{name: "fewer files than stages", change: func(c *config) { c.files = 2 }, wantErr: "fewer than the 3 stages"},
		{name: "negative out-bytes", change: func(c *config) { c.outBytes = -1 }, wantErr: "-out-bytes"},
		{name: "upstream above 1", change: func(c *config) { c.upstream = 1.5 }, wantErr: "between 0 and 1"},
		{name: "upstream below 0", change: func(c *config) { c.upstream = -0.1 }, wantErr: "between 0 and 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.change(&c)
			err := c.validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name      string
		cfg       config
		wantFiles []int
		wantNames []string
	}{
		{
			name:      "remainder goes to the first stages",
			cfg:       config{stages: 3, files: 11, seed: 1},
			wantFiles: []int{4, 4, 3},
			wantNames: []string{"s0000", "s0001", "s0002"},
		},
		{
			name:      "names widen past 10000 stages",
			cfg:       config{stages: 10001, files: 10001, seed: 1},
			wantFiles: slices.Repeat([]int{1}, 10001),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stages := plan(tt.cfg)
			var files []int
			var names []string
			for _, s := range stages {
				files = append(files, s.files)
				names = append(names, s.name)
			}
			if !slices.Equal(files, tt.wantFiles) {
				t.Errorf("files per stage = %v, want %v", files, tt.wantFiles)
			}
			if tt.wantNames != nil && !slices.Equal(names, tt.wantNames) {
				t.Errorf("names = %v, want %v", names, tt.wantNames)
			}
			if !slices.IsSorted(names) {
				t.Errorf("names do not sort in stage order")
			}
		})
	}
}

func TestPlanUpstreamFormsADAG(t *testing.T) {
	for _, fraction := range []float64{0, 0.3, 1} {
		stages := plan(config{stages: 500, files: 500, upstream: fraction, seed: 7})
		edges := 0
		for i, s := range stages {
			if s.upstream >= i {
				t.Fatalf("upstream %v: stage %d reads stage %d, not an earlier one", fraction, i, s.upstream)
			}
			if s.upstream >= 0 {
				edges++
			}
		}
		switch {
		case fraction == 0 && edges != 0:
			t.Errorf("upstream 0 gave %d edges", edges)
		case fraction == 1 && edges != len(stages)-1:
			t.Errorf("upstream 1 gave %d edges, want every stage but the first", edges)
		case fraction == 0.3 && (edges < 100 || edges > 200):
			t.Errorf("upstream 0.3 gave %d edges of 499", edges)
		}
	}
}

// TestGenerate builds a small repository, checks what git holds, runs every
// stage command in order the way git dds would, and checks that a seed gives
// the same commit.
func TestGenerate(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("the generator drives git, and git is not on PATH")
	}
	cfg := config{stages: 5, files: 12, outBytes: 10, upstream: 0.6, seed: 3}
	ctx := context.Background()
	repo := filepath.Join(t.TempDir(), "repo")
	cfg.dir = repo
	if _, err := generate(ctx, cfg); err != nil {
		t.Fatal(err)
	}

	tracked := strings.Fields(runIn(t, repo, "git", "ls-files"))
	if len(tracked) != cfg.files+2 {
		t.Errorf("git ls-files lists %d files, want %d sources + dds.yaml + params.yaml", len(tracked), cfg.files)
	}
	if status := runIn(t, repo, "git", "status", "--porcelain"); status != "" {
		t.Errorf("the working tree is not clean:\n%s", status)
	}

	var pipeline struct {
		Stages map[string]struct {
			Cmd    string
			Deps   []string
			Params map[string][]string
			Outs   []string
		}
	}
	data, err := os.ReadFile(filepath.Join(repo, "dds.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &pipeline); err != nil {
		t.Fatalf("dds.yaml: %v", err)
	}
	stages := plan(cfg)
	if len(pipeline.Stages) != len(stages) {
		t.Fatalf("dds.yaml has %d stages, want %d", len(pipeline.Stages), len(stages))
	}
	for _, s := range stages {
		declared := pipeline.Stages[s.name]
		if !slices.Equal(declared.Outs, []string{s.out()}) {
			t.Errorf("stage %s outs = %v, want [%s]", s.name, declared.Outs, s.out())
		}
		if !slices.Equal(declared.Params["params.yaml"], []string{s.name + ".k"}) {
			t.Errorf("stage %s params = %v", s.name, declared.Params)
		}
		// Stages come in dependency order, so running them in order works.
		runIn(t, repo, "sh", "-c", declared.Cmd)
		info, err := os.Stat(filepath.Join(repo, s.out()))
		if err != nil {
			t.Fatalf("stage %s wrote no output: %v", s.name, err)
		}
		if info.Size() <= cfg.outBytes {
			t.Errorf("stage %s output is %d bytes, want its files and %d filler bytes", s.name, info.Size(), cfg.outBytes)
		}
	}

	again := filepath.Join(t.TempDir(), "again")
	cfg.dir = again
	if _, err := generate(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	first, second := runIn(t, repo, "git", "rev-parse", "HEAD"), runIn(t, again, "git", "rev-parse", "HEAD")
	if first != second {
		t.Errorf("the same seed gave commits %s and %s", first, second)
	}

	cfg.dir = repo
	if _, err := generate(ctx, cfg); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("generating into a non-empty folder: error = %v, want one saying it is not empty", err)
	}
}

func runIn(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
