package audit

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	cases := []struct {
		line string
		want call
		ok   bool
	}{
		{`openat(AT_FDCWD</repo>, "data/x.csv", O_RDONLY|O_CLOEXEC) = 3</repo/data/x.csv>`,
			call{read: "/repo/data/x.csv", cwd: "/repo"}, true},
		{`123 openat(AT_FDCWD</repo>, "x", O_RDONLY) = 3</repo/x>`, call{read: "/repo/x", cwd: "/repo"}, true},
		{`openat(AT_FDCWD</repo>, "out", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</repo/out>`, call{write: "/repo/out", cwd: "/repo"}, true},
		{`openat(AT_FDCWD</repo>, "d", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 3</repo/d>`, call{cwd: "/repo"}, true},
		{`openat(AT_FDCWD</repo>, "rw", O_RDWR) = 4</repo/rw>`, call{read: "/repo/rw", cwd: "/repo"}, true},
		{`openat(AT_FDCWD</we\"ir)d\74x\76, y>, "f\nl\"e", O_RDONLY) = 3</we\"ir)d\74x\76, y/f\nl\"e>`,
			call{read: "/we\"ir)d<x>, y/f\nl\"e", cwd: "/we\"ir)d<x>, y"}, true},
		{`open("/etc/passwd", O_RDONLY) = 3</etc/passwd>`, call{read: "/etc/passwd"}, true},
		{`openat2(AT_FDCWD</r>, "a", {flags=O_RDONLY|O_CLOEXEC, resolve=0}, 24) = 3</r/a>`, call{read: "/r/a", cwd: "/r"}, true},
		{`openat(AT_FDCWD</r>, "a", 0) = 3</r/a>`, call{read: "/r/a", cwd: "/r"}, true},
		{`execve("/usr/bin/cat", ["cat", "f\nl\"e"], 0x55ff /* 35 vars */) = 0`, call{exec: "/usr/bin/cat"}, true},
		{`execve("./run.sh", ["./run.sh"], 0x55ff /* 35 vars */) = 0`, call{exec: "./run.sh"}, true},
		{`execveat(3</repo/bin>, "tool", [], NULL, 0) = 0`, call{exec: "/repo/bin/tool"}, true},
		{`--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---`, call{}, false},
		{`+++ exited with 0 +++`, call{}, false},
		{`openat(AT_FDCWD</r>, "a", O_RDONLY <unfinished ...>`, call{}, false},
		{`openat(AT_FDCWD</r>, "a", O_RDONLY) = 3`, call{cwd: "/r"}, true},
		{`openat(AT_FDCWD</r>, "a", O_RDONLY) = 3<relative>`, call{cwd: "/r"}, true},
		{`execve("/x", [], 0x0) = -1 ENOENT (No such file or directory)`, call{}, false},
		{`read(3</r/a>, "...", 4096) = 10`, call{}, false},
		{``, call{}, false},
		{`openat(AT_FDCWD</r\>, "a", O_RDONLY) = 3</r/\x4>`, call{}, true},
	}
	for _, c := range cases {
		got, ok := parseLine(c.line)
		if ok != c.ok || got != c.want {
			t.Errorf("parseLine(%q) = %+v, %v; want %+v, %v", c.line, got, ok, c.want, c.ok)
		}
	}
}

func TestCollectorResolvesAndBounds(t *testing.T) {
	trace := strings.Join([]string{
		`execve("./run.sh", ["./run.sh"], 0x1 /* 1 var */) = 0`,
		`openat(AT_FDCWD</repo/sub>, "a", O_RDONLY) = 3</repo/sub/a>`,
		`execve("tool", ["tool"], 0x1 /* 1 var */) = 0`,
		`openat(AT_FDCWD</repo/sub>, "a", O_RDONLY) = 3</repo/sub/a>`,
		strings.Repeat("x", maxLine+10),
		`openat(AT_FDCWD</repo/sub>, "../b", O_RDONLY) = 3</repo/b>`,
	}, "\n")
	c := newCollector()
	if err := c.read(strings.NewReader(trace), "/repo"); err != nil {
		t.Fatal(err)
	}
	o := c.observed()
	if strings.Join(o.Reads, " ") != "/repo/b /repo/sub/a" {
		t.Errorf("reads = %q", o.Reads)
	}
	if strings.Join(o.Execs, " ") != "/repo/run.sh /repo/sub/tool" {
		t.Errorf("execs = %q", o.Execs)
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		`openat(AT_FDCWD</repo>, "data/x.csv", O_RDONLY|O_CLOEXEC) = 3</repo/data/x.csv>`,
		`openat(AT_FDCWD</we\"ir)d\74x\76, y>, "f\nl\"e", O_RDONLY) = 3</we\"ir)d\74x\76, y/f\nl\"e>`,
		`execve("/usr/bin/cat", ["cat", "f\nl\"e"], 0x55ff /* 35 vars */) = 0`,
		`openat2(AT_FDCWD</r>, "a", {flags=O_RDONLY|O_CLOEXEC, resolve=0}, 24) = 3</r/a>`,
		`execveat(3</repo/bin>, "tool", [], NULL, 0) = 0`,
		`--- SIGCHLD {si_signo=SIGCHLD} ---`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c, ok := parseLine(line)
		if !ok {
			return
		}
		for _, p := range []string{c.read, c.write, c.cwd} {
			if p != "" && p[0] != '/' {
				t.Fatalf("parseLine(%q) gave a relative path %q", line, p)
			}
		}
		if len(c.read) > len(line) || len(c.exec) > len(line) || len(c.cwd) > len(line) {
			t.Fatalf("parseLine(%q) gave a path longer than its line", line)
		}
		col := newCollector()
		col.take(c, new(string))
	})
}

// FuzzRead feeds whole traces, many lines at once, to the collector: it
// must keep only absolute, clean paths, each once.
func FuzzRead(f *testing.F) {
	f.Add("openat(AT_FDCWD</r>, \"a\", O_RDONLY) = 3</r/a>\nexecve(\"x\", [], 0x1) = 0\n", "/base")
	f.Add("--- SIGCHLD ---\n\n\nopenat(AT_FDCWD</r/../s>, \"b\", O_RDWR) = 4</r/./b>", "/")
	f.Fuzz(func(t *testing.T, trace, base string) {
		if !strings.HasPrefix(base, "/") {
			return
		}
		c := newCollector()
		if err := c.read(strings.NewReader(trace), base); err != nil {
			t.Fatal(err)
		}
		o := c.observed()
		for _, list := range [][]string{o.Reads, o.Execs, o.Writes} {
			for i, p := range list {
				if !strings.HasPrefix(p, "/") || filepath.Clean(p) != p {
					t.Fatalf("path %q is not absolute and clean", p)
				}
				if i > 0 && list[i-1] >= p {
					t.Fatalf("paths %q are not sorted and unique", list)
				}
			}
		}
	})
}
