// Command gen writes a synthetic git dds pipeline repository for benchmarks:
// a dds.yaml of N stages over M tracked files, committed, the same bytes and
// commit id for the same flags and seed.
//
//	go run ./bench/gen -dir DIR [-stages 2000] [-files 50000] [-out-bytes 0] [-upstream 0.3] [-seed 1]
//
// Stage sNNNN owns the folder src/sNNNN/ (M/N files, the first M%N stages one
// more) and the key sNNNN.k of the shared params.yaml, and writes
// out/sNNNN.txt: the concatenation of its files, then -out-bytes bytes of
// filler. A fraction -upstream of the stages also depend on the output of
// one earlier stage, picked at random, so the stages form a DAG.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.dir, "dir", "", "folder to create the repository in; must not exist or be empty")
	flag.IntVar(&cfg.stages, "stages", 2000, "number of stages")
	flag.IntVar(&cfg.files, "files", 50000, "number of tracked files under src/, spread over the stages")
	flag.Int64Var(&cfg.outBytes, "out-bytes", 0, "filler bytes each stage appends to its output")
	flag.Float64Var(&cfg.upstream, "upstream", 0.3, "fraction of stages that also depend on an earlier stage's output")
	flag.Uint64Var(&cfg.seed, "seed", 1, "seed of the file contents, params and DAG")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "gen: unexpected arguments %q: every setting is a flag, see -help\n", flag.Args())
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	summary, err := generate(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(summary)
}

type config struct {
	dir      string
	stages   int
	files    int
	outBytes int64
	upstream float64
	seed     uint64
}

func (c config) validate() error {
	switch {
	case c.dir == "":
		return errors.New("-dir is required: name the folder to create the repository in")
	case c.stages < 1:
		return fmt.Errorf("-stages is %d: give at least 1", c.stages)
	case c.files < c.stages:
		return fmt.Errorf("-files is %d, fewer than the %d stages: every stage needs a file of its own", c.files, c.stages)
	case c.outBytes < 0:
		return fmt.Errorf("-out-bytes is %d: give 0 or more", c.outBytes)
	case c.upstream < 0 || c.upstream > 1:
		return fmt.Errorf("-upstream is %g: give a fraction between 0 and 1", c.upstream)
	}
	return nil
}

// stage is one generated stage.
type stage struct {
	name     string
	files    int
	upstream int // index of the stage whose output this one reads; -1 for none
	param    int // value of its params key
}

func (s stage) srcDir() string { return "src/" + s.name }
func (s stage) out() string    { return "out/" + s.name + ".txt" }

// plan decides every stage from the config alone, so a seed always gives
// the same pipeline.
func plan(c config) []stage {
	rng := rand.New(rand.NewPCG(c.seed, 0))
	width := max(4, len(fmt.Sprint(c.stages-1)))
	stages := make([]stage, c.stages)
	for i := range stages {
		s := stage{
			name:     fmt.Sprintf("s%0*d", width, i),
			files:    c.files / c.stages,
			upstream: -1,
			param:    rng.IntN(1000),
		}
		if i < c.files%c.stages {
			s.files++
		}
		if i > 0 && rng.Float64() < c.upstream {
			s.upstream = rng.IntN(i)
		}
		stages[i] = s
	}
	return stages
}

// command is the stage's shell command: cheap, and reading exactly what the
// stage declares.
func command(stages []stage, s stage, outBytes int64) string {
	cmd := fmt.Sprintf("mkdir -p out && cat %s/* > %s", s.srcDir(), s.out())
	if s.upstream >= 0 {
		cmd += fmt.Sprintf(" && wc -c < %s >> %s", stages[s.upstream].out(), s.out())
	}
	if outBytes > 0 {
		cmd += fmt.Sprintf(" && yes %s | head -c %d >> %s", s.name, outBytes, s.out())
	}
	return cmd
}

func pipelineYAML(stages []stage, outBytes int64) []byte {
	var b strings.Builder
	b.WriteString("stages:\n")
	for _, s := range stages {
		deps := []string{s.srcDir() + "/"}
		if s.upstream >= 0 {
			deps = append(deps, stages[s.upstream].out())
		}
		fmt.Fprintf(&b, "  %s:\n", s.name)
		fmt.Fprintf(&b, "    cmd: %s\n", command(stages, s, outBytes))
		fmt.Fprintf(&b, "    deps: [%s]\n", strings.Join(deps, ", "))
		fmt.Fprintf(&b, "    params: {params.yaml: [%s.k]}\n", s.name)
		fmt.Fprintf(&b, "    outs: [%s]\n", s.out())
	}
	return []byte(b.String())
}

func paramsYAML(stages []stage) []byte {
	var b strings.Builder
	for _, s := range stages {
		fmt.Fprintf(&b, "%s:\n  k: %d\n", s.name, s.param)
	}
	return []byte(b.String())
}

// generate creates the repository: one commit written with git fast-import,
// then checked out, which is far quicker than hashing tens of thousands of
// files through git add.
func generate(ctx context.Context, c config) (string, error) {
	if err := c.validate(); err != nil {
		return "", err
	}
	if err := requireEmpty(c.dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", c.dir, err)
	}
	if err := git(ctx, c.dir, nil, "init", "-q", "-b", "main"); err != nil {
		return "", err
	}

	stages := plan(c)
	pr, pw := io.Pipe()
	writeErr := make(chan error, 1)
	go func() {
		err := writeCommit(pw, c.seed, stages, c.outBytes)
		pw.CloseWithError(err)
		writeErr <- err
	}()
	importErr := git(ctx, c.dir, pr, "fast-import", "--quiet")
	pr.CloseWithError(errors.New("git fast-import stopped reading"))
	if err := <-writeErr; err != nil && importErr == nil {
		return "", fmt.Errorf("writing the fast-import stream: %w", err)
	}
	if importErr != nil {
		return "", importErr
	}
	if err := git(ctx, c.dir, nil, "reset", "-q", "--hard", "main"); err != nil {
		return "", err
	}

	edges := 0
	for _, s := range stages {
		if s.upstream >= 0 {
			edges++
		}
	}
	return fmt.Sprintf("%s: %d stages over %d files, %d upstream edges", c.dir, len(stages), c.files, edges), nil
}

func requireEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("checking %s: %w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("%s is not empty: remove it or name another folder", dir)
	}
	return nil
}

// writeCommit writes a fast-import stream of one commit on main holding
// dds.yaml, params.yaml and every source file, with a fixed date so that
// the commit id depends on the flags alone.
func writeCommit(w io.Writer, seed uint64, stages []stage, outBytes int64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	const who = "git dds bench <bench@example.com> 1700000000 +0000"
	message := fmt.Sprintf("synthetic pipeline: %d stages, seed %d\n", len(stages), seed)
	fmt.Fprintf(bw, "commit refs/heads/main\nauthor %s\ncommitter %s\ndata %d\n%s", who, who, len(message), message)

	inline := func(path string, data []byte) {
		fmt.Fprintf(bw, "M 100644 inline %s\ndata %d\n", path, len(data))
		bw.Write(data)
		bw.WriteByte('\n')
	}
	inline("dds.yaml", pipelineYAML(stages, outBytes))
	inline("params.yaml", paramsYAML(stages))

	// File contents come from a generator of their own, so that changing
	// -upstream or -out-bytes keeps the sources byte for byte.
	rng := rand.New(rand.NewPCG(seed, 1))
	var line []byte
	for _, s := range stages {
		width := len(fmt.Sprint(s.files - 1))
		for j := range s.files {
			line = fmt.Appendf(line[:0], "%s file %d: %016x%016x\n", s.name, j, rng.Uint64(), rng.Uint64())
			inline(fmt.Sprintf("%s/f%0*d.txt", s.srcDir(), width, j), line)
		}
	}
	bw.WriteString("done\n")
	return bw.Flush()
}

// git runs git in dir with stdin, returning its stderr in the error.
func git(ctx context.Context, dir string, stdin io.Reader, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("git %s in %s: %w: %s", args[0], filepath.Clean(dir), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
