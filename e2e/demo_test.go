package e2e

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDemo runs demo/demo.sh as make demo does: with KEEP=1 it keeps its
// folder and says where, and the teammate's clone holds the outputs the
// first repository computed, byte for byte; without it nothing is left.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo takes a few seconds")
	}
	tmp := t.TempDir()
	out := runDemo(t, tmp, "1")
	m := regexp.MustCompile(`(?m)^The demo is kept in (\S+):`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("KEEP=1: the demo does not say where it is kept:\n%s", out)
	}
	kept := m[1]
	if !strings.HasPrefix(kept, tmp) {
		t.Fatalf("kept in %s, outside TMPDIR %s", kept, tmp)
	}
	mine, err := os.ReadFile(filepath.Join(kept, "repo", "out", "report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := os.ReadFile(filepath.Join(kept, "teammate", "out", "report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mine, theirs) {
		t.Errorf("the teammate's report differs:\n%s\nwant\n%s", theirs, mine)
	}
	// The teammate's remote comes from what the demo shows being
	// committed, and is shown.
	for _, want := range []string{"$ git dds init --remote file://", "$ git add .ddsconfig", "$ cat .ddsconfig"} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo does not show %q", want)
		}
	}

	other := t.TempDir()
	out = runDemo(t, other, "")
	if !strings.Contains(out, "make demo KEEP=1 keeps it") {
		t.Errorf("without KEEP, the demo does not say how to keep it:\n%s", out)
	}
	if left, _ := filepath.Glob(filepath.Join(other, "*")); len(left) > 0 {
		t.Errorf("without KEEP, the demo left %q", left)
	}
}

// TestDemoShowsEveryCommand reads demo/demo.sh: past its set-up of shell
// functions, every command it runs goes through show, which prints it, so
// that a reader can run each again by hand.
func TestDemoShowsEveryCommand(t *testing.T) {
	f, err := os.Open("../demo/demo.sh")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	started := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "step ") {
			started = true
		}
		if !started || line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.HasPrefix(line, "step ") && !strings.HasPrefix(line, "show ") {
			t.Errorf("demo/demo.sh:%d runs %q without printing it (use show)", n, line)
		}
	}
}

func runDemo(t *testing.T, tmp, keep string) string {
	t.Helper()
	cmd := exec.Command("bash", "../demo/demo.sh")
	cmd.Env = append(os.Environ(), "PATH="+gitDDSDir+string(os.PathListSeparator)+os.Getenv("PATH"), "TMPDIR="+tmp, "KEEP="+keep)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo.sh: %v\n%s", err, out)
	}
	return string(out)
}
