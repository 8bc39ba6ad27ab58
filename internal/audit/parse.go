package audit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// maxLine bounds one line of a trace; a longer one (an execve with a huge
// argument list) is skipped, as it opens nothing.
const maxLine = 256 << 10

// collector gathers the paths of every trace file of one command.
type collector struct {
	reads, execs, writes map[string]bool
	dropped              int
}

func newCollector() *collector {
	return &collector{reads: map[string]bool{}, execs: map[string]bool{}, writes: map[string]bool{}}
}

func (c *collector) add(set map[string]bool, p string) {
	if set[p] {
		return
	}
	if len(c.reads)+len(c.execs)+len(c.writes) >= MaxPaths {
		c.dropped++
		return
	}
	set[p] = true
}

func (c *collector) observed() *Observed {
	o := &Observed{Dropped: c.dropped}
	for p := range c.reads {
		o.Reads = append(o.Reads, p)
	}
	for p := range c.execs {
		o.Execs = append(o.Execs, p)
	}
	for p := range c.writes {
		o.Writes = append(o.Writes, p)
	}
	slices.Sort(o.Reads)
	slices.Sort(o.Execs)
	slices.Sort(o.Writes)
	return o
}

func (c *collector) readFile(name, base string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("audit: reading the trace: %w", err)
	}
	defer f.Close()
	if err := c.read(f, base); err != nil {
		return fmt.Errorf("audit: reading the trace %s: %w", name, err)
	}
	return nil
}

// read parses the trace of one process. base is the folder the command
// started in, against which a relative program path is resolved until
// the trace shows the process's own working folder.
func (c *collector) read(r io.Reader, base string) error {
	br := bufio.NewReaderSize(r, 64<<10)
	cwd := base
	for {
		line, err := readLine(br)
		if len(line) > 0 {
			if call, ok := parseLine(line); ok {
				c.take(call, &cwd)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readLine returns the next line without its newline; a line longer than
// maxLine comes back empty, its bytes read past.
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(b)+len(chunk) > maxLine {
				tooLong, b = true, nil
			} else {
				b = append(b, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if tooLong {
			return "", err
		}
		return strings.TrimSuffix(string(b), "\n"), err
	}
}

func (c *collector) take(call call, cwd *string) {
	if call.cwd != "" {
		*cwd = call.cwd
	}
	switch {
	case call.exec != "":
		p := call.exec
		if !filepath.IsAbs(p) {
			p = filepath.Join(*cwd, p)
		}
		c.add(c.execs, filepath.Clean(p))
	case call.read != "" && filepath.IsAbs(call.read):
		c.add(c.reads, filepath.Clean(call.read))
	case call.write != "" && filepath.IsAbs(call.write):
		c.add(c.writes, filepath.Clean(call.write))
	}
}

// call is what one line of a trace says.
type call struct {
	read  string // a file opened for reading, as the kernel resolved it
	write string // a file opened for writing only, as the kernel resolved it
	exec  string // a program executed, as named
	cwd   string // the process's working folder, when the line shows it
}

// parseLine reads one line of strace -y -z output, such as
//
//	openat(AT_FDCWD</repo>, "data/x.csv", O_RDONLY|O_CLOEXEC) = 3</repo/data/x.csv>
//	execve("/usr/bin/python3", ["python3", "t.py"], 0x7ffd /* 35 vars */) = 0
//
// and anything else (signals, exits, a call it does not know, a line cut
// short) is not ok. strace escapes '"', '<', '>' and control bytes in the
// strings and paths it prints, which is what lets the arguments be split
// without ambiguity.
func parseLine(line string) (call, bool) {
	// Without -ff each line starts with the process id.
	if i := strings.IndexByte(line, ' '); i > 0 && isDigits(line[:i]) {
		line = line[i+1:]
	}
	open := strings.IndexByte(line, '(')
	if open <= 0 {
		return call{}, false
	}
	name := line[:open]
	args, rest, ok := splitArgs(line[open+1:])
	if !ok {
		return call{}, false
	}
	ret, ok := strings.CutPrefix(rest, " = ")
	if !ok {
		return call{}, false
	}
	var c call
	switch name {
	case "open", "creat", "openat", "openat2":
		flagArg := 2
		if name == "open" || name == "creat" {
			flagArg = 1
		} else if len(args) > 0 {
			c.cwd = cwdOf(args[0])
		}
		if len(args) <= flagArg {
			return c, c.cwd != ""
		}
		switch {
		case name == "creat" || writesOnly(args[flagArg]):
			c.write = annotatedPath(ret)
		case readsFile(args[flagArg]):
			c.read = annotatedPath(ret)
		}
		return c, true
	case "execve", "execveat":
		if strings.TrimSpace(ret) != "0" || len(args) == 0 {
			return call{}, false
		}
		pathArg := 0
		if name == "execveat" {
			if len(args) < 2 {
				return call{}, false
			}
			pathArg = 1
		}
		p, ok := unquote(args[pathArg])
		if !ok || p == "" {
			return call{}, false
		}
		if name == "execveat" && !filepath.IsAbs(p) {
			dir := annotation(args[0])
			if dir == "" {
				return call{}, false
			}
			p = filepath.Join(dir, p)
		}
		c.exec = p
		return c, true
	}
	return call{}, false
}

// splitArgs splits the arguments of a call at its top-level commas, up to
// its closing parenthesis, and returns what follows it.
func splitArgs(s string) (args []string, rest string, ok bool) {
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			end := closingQuote(s, i+1)
			if end < 0 {
				return nil, "", false
			}
			i = end
		case '<':
			end := strings.IndexByte(s[i+1:], '>')
			if end < 0 {
				return nil, "", false
			}
			i += end + 1
		case '(', '[', '{':
			depth++
		case ']', '}':
			depth--
		case ')':
			if depth == 0 {
				if i > start || len(args) > 0 {
					args = append(args, strings.TrimSpace(s[start:i]))
				}
				return args, s[i+1:], true
			}
			depth--
		case ',':
			if depth == 0 {
				args = append(args, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
		if depth < 0 {
			return nil, "", false
		}
	}
	return nil, "", false
}

// closingQuote is the index of the '"' that ends a string whose content
// starts at i, or -1.
func closingQuote(s string, i int) int {
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// readsFile reports whether open flags (O_RDONLY|O_CLOEXEC, or openat2's
// {flags=..., ...}) open a file whose content can be read: for reading or
// for both, not a folder and not a mere handle (O_PATH).
func readsFile(flags string) bool {
	if inner, ok := strings.CutPrefix(flags, "{flags="); ok {
		flags, _, _ = strings.Cut(inner, ",")
		flags = strings.TrimSuffix(flags, "}")
	}
	if n, err := strconv.ParseUint(flags, 0, 64); err == nil {
		const accMode, rdOnly, rdWr = 3, 0, 2
		return n&accMode == rdOnly || n&accMode == rdWr
	}
	hasRead := false
	for f := range strings.SplitSeq(flags, "|") {
		switch f {
		case "O_RDONLY", "O_RDWR":
			hasRead = true
		case "O_DIRECTORY", "O_PATH":
			return false
		}
	}
	return hasRead
}

// writesOnly reports whether open flags open a file for writing only.
func writesOnly(flags string) bool {
	if inner, ok := strings.CutPrefix(flags, "{flags="); ok {
		flags, _, _ = strings.Cut(inner, ",")
		flags = strings.TrimSuffix(flags, "}")
	}
	if n, err := strconv.ParseUint(flags, 0, 64); err == nil {
		const accMode, wrOnly = 3, 1
		return n&accMode == wrOnly
	}
	return slices.Contains(strings.Split(flags, "|"), "O_WRONLY")
}

// cwdOf is the working folder an AT_FDCWD argument shows (AT_FDCWD</dir>).
func cwdOf(arg string) string {
	if !strings.HasPrefix(arg, "AT_FDCWD<") {
		return ""
	}
	return annotation(arg)
}

// annotation is the path -y shows after a file descriptor (3</path>).
func annotation(arg string) string {
	i := strings.IndexByte(arg, '<')
	if i < 0 || !strings.HasSuffix(arg, ">") {
		return ""
	}
	p, ok := unescape(arg[i+1 : len(arg)-1])
	if !ok || !filepath.IsAbs(p) {
		return ""
	}
	return p
}

// annotatedPath is the path of the file descriptor a call returned.
func annotatedPath(ret string) string {
	ret = strings.TrimSpace(ret)
	i := strings.IndexByte(ret, '<')
	if i <= 0 || !isDigits(ret[:i]) {
		return ""
	}
	return annotation(ret)
}

// unquote reads a string argument as strace prints it: "..." with C
// escapes, and "..." after it when -s cut it short (then it is not ok).
func unquote(arg string) (string, bool) {
	if len(arg) < 2 || arg[0] != '"' || closingQuote(arg, 1) != len(arg)-1 {
		return "", false
	}
	return unescape(arg[1 : len(arg)-1])
}

// unescape undoes strace's C escapes: \n and the like, \" and \\, octal
// \ooo and hex \xHH.
func unescape(s string) (string, bool) {
	if !strings.Contains(s, `\`) {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i >= len(s) {
			return "", false
		}
		switch c := s[i]; c {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'v':
			b.WriteByte('\v')
		case 'f':
			b.WriteByte('\f')
		case '"', '\\', '\'', '<', '>':
			b.WriteByte(c)
		case 'x':
			if i+2 >= len(s) {
				return "", false
			}
			n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", false
			}
			b.WriteByte(byte(n))
			i += 2
		default:
			if c < '0' || c > '7' {
				return "", false
			}
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			n, err := strconv.ParseUint(s[i:j], 8, 16)
			if err != nil || n > 0xff {
				return "", false
			}
			b.WriteByte(byte(n))
			i = j - 1
		}
	}
	return b.String(), true
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
