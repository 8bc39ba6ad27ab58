package graph

import (
	"bytes"
	"encoding/xml"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// states is a palette like the one git dds graph draws states with.
func states() []Class {
	return []Class{
		{Name: "fresh", Meaning: "computed, and the working tree holds its outputs", Fill: "#dcfce7", Stroke: "#15803d"},
		{Name: "cached", Meaning: "computed and in the local store: git dds checkout restores it", Fill: "#dbeafe", Stroke: "#1d4ed8"},
		{Name: "remote", Meaning: "computed, only in a remote: git dds pull restores it", Fill: "#ede9fe", Stroke: "#6d28d9"},
		{Name: "stale", Meaning: "computed nowhere: git dds run executes it", Fill: "#fef3c7", Stroke: "#b45309"},
		{Name: "modified", Meaning: "an output was edited by hand: git dds checkout --force restores it", Fill: "#fee2e2", Stroke: "#b91c1c"},
	}
}

// sample is a small graph whose names and paths hold every character the
// formats must escape.
func sample() *Graph {
	return &Graph{
		Title:      "Stages of the working tree of main",
		ClassLabel: "state",
		Classes:    states(),
		Nodes: []Node{
			{Name: "clean", Class: "fresh", Signature: strings.Repeat("a", 64), Outputs: []string{"out/clean.csv"},
				Upstream: []string{}, Summary: "fresh · 4.2 kB · 1.5s", Details: []string{"computed at commit 1234567"}},
			{Name: "end", Class: "stale", Signature: strings.Repeat("b", 64),
				Outputs:  []string{`out/a "quoted" <b>&amp;</b>.csv`, `out/back\slash\n.txt`, "out/#35;entity", "out/`tick`", "out/ünïcødé"},
				Upstream: []string{"clean", "clean", "gone"}, Summary: "stale · never computed",
				Details: []string{`changed: params.yaml:k: "a" -> "b"`}},
			{Name: "graph", Class: "no-such-class", Upstream: []string{"end"}},
		},
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{"dot", DOT, false}, {"mermaid", Mermaid, false}, {"HTML", HTML, false},
		{"png", "", true}, {"", "", true},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatOfFile(t *testing.T) {
	tests := []struct {
		name string
		want Format
		ok   bool
	}{
		{"g.dot", DOT, true}, {"g.GV", DOT, true}, {"docs/g.mmd", Mermaid, true}, {"g.mermaid", Mermaid, true},
		{"g.html", HTML, true}, {"g.htm", HTML, true}, {"g.svg", "", false}, {"", "", false},
	}
	for _, tt := range tests {
		got, ok := FormatOfFile(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("FormatOfFile(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

// TestWriteDOT checks the DOT, and has graphviz read it back when it is
// installed (the end-to-end tests require it).
func TestWriteDOT(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteDOT(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	dot := buf.String()
	for _, want := range []string{
		`"clean" [id="n0", class="fresh", style="rounded,filled", fillcolor="#dcfce7", color="#15803d"`,
		`<b>end</b><br/><font point-size="9">out/a &#34;quoted&#34; &lt;b&gt;&amp;amp;&lt;/b&gt;.csv</font>`,
		`out/back\slash\n.txt`, // HTML-like labels take backslashes as they are
		`<font point-size="9">+2 more</font>`,
		`tooltip="end\nstale: computed nowhere: git dds run executes it\nsignature bbbb`,
		`changed: params.yaml:k: \"a\" -> \"b\""`,
		`"graph" [id="n2", class="no-such-class", style="rounded,filled", fillcolor="#f3f4f6"`,
		`tooltip="graph\nno-such-class"];`,
		`"clean" -> "end";`, `"end" -> "graph";`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("the DOT lacks %s:\n%s", want, dot)
		}
	}
	if edges := regexp.MustCompile(`(?m)^  "[^"]+" -> "[^"]+";$`).FindAllString(dot, -1); len(edges) != 2 {
		t.Errorf("want 2 edges (duplicates and unknown stages dropped):\n%s", dot)
	}
	if _, err := exec.LookPath("dot"); err != nil {
		t.Log("graphviz is not installed: the DOT is not read back")
		return
	}
	cmd := exec.Command("dot", "-Tsvg")
	cmd.Stdin = strings.NewReader(dot)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	svg, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("dot -Tsvg: %v\n%s\n%s", err, stderr.String(), dot)
	}
	if got := strings.Count(string(svg), `class="node`); got != 3 {
		t.Errorf("dot drew %d nodes, want 3", got)
	}
}

func TestDotString(t *testing.T) {
	tests := map[string]string{
		"plain":       `"plain"`,
		`a "b"`:       `"a \"b\""`,
		`c:\dir`:      `"c:\\dir"`,
		"two\nlines":  `"two\nlines"`,
		"cr\r\nlf":    `"cr\nlf"`,
		"ünïcødé · x": `"ünïcødé · x"`,
	}
	for in, want := range tests {
		if got := dotString(in); got != want {
			t.Errorf("dotString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestWriteMermaid(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMermaid(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	want := `%% Stages of the working tree of main
flowchart LR
  s0["clean<br/>out/clean.csv<br/>fresh · 4.2 kB · 1.5s"]
  s1["end<br/>out/a #34;quoted#34; #60;b#62;#38;amp#59;#60;/b#62;.csv<br/>out/back#92;slash#92;n.txt<br/>out/#35;35#59;entity<br/>+2 more<br/>stale · never computed"]
  s2["graph"]
  s0 --> s1
  s1 --> s2
  classDef fresh fill:#dcfce7,stroke:#15803d,color:#111827,stroke-width:2px
  class s0 fresh
  classDef stale fill:#fef3c7,stroke:#b45309,color:#111827,stroke-width:2px
  class s1 stale
`
	if got := buf.String(); got != want {
		t.Errorf("WriteMermaid wrote\n%s\nwant\n%s", got, want)
	}
}

func TestMermaidText(t *testing.T) {
	tests := map[string]string{
		"out/clean.csv":        "out/clean.csv",
		`say "hi"`:             "say #34;hi#34;",
		"#35;":                 "#35;35#59;",
		"<script>":             "#60;script#62;",
		"a`b`*c*":              "a#96;b#96;#42;c#42;",
		"tab\there":            "tab#65533;here",
		"ünïcødé · 4.2 kB":     "ünïcødé · 4.2 kB",
		"x;y|z{w}[v]":          "x#59;y#124;z#123;w#125;#91;v#93;",
		"\u2028line separator": "#8232;line separator",
	}
	for in, want := range tests {
		if got := mermaidText(in); got != want {
			t.Errorf("mermaidText(%q) = %q, want %q", in, got, want)
		}
	}
}

var entity = regexp.MustCompile(`#(\d+);`)

// FuzzMermaidText checks that an escaped label holds nothing that could
// end it or open markup, and that Mermaid's entity decoding gives back
// the text.
func FuzzMermaidText(f *testing.F) {
	for _, seed := range []string{"out/clean.csv", `"`, "#35;", "<b>", "a\nb", "ünï", "\x00", "]\"; click x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := mermaidText(s)
		if strings.ContainsAny(got, "\"<>&`\n\r[]{}|") {
			t.Fatalf("mermaidText(%q) = %q holds a special character", s, got)
		}
		decoded := entity.ReplaceAllStringFunc(got, func(m string) string {
			code, err := strconv.Atoi(m[1 : len(m)-1])
			if err != nil {
				t.Fatalf("bad entity %q", m)
			}
			return string(rune(code))
		})
		var want strings.Builder
		for _, r := range s {
			if r == '\uFFFD' || (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) {
				r = '\uFFFD'
			}
			want.WriteRune(r)
		}
		if decoded != want.String() {
			t.Fatalf("mermaidText(%q) = %q decodes to %q", s, got, decoded)
		}
	})
}

// unquoteDOT reads a DOT string back as graphviz does: the lexer turns \"
// into a quote, then a label or tooltip's escapes turn \\ into a backslash
// and \n into a line break.
func unquoteDOT(t *testing.T, q string) string {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		t.Fatalf("%q is not quoted", q)
	}
	var b strings.Builder
	body := q[1 : len(q)-1]
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == '"' {
			t.Fatalf("%q holds a bare quote", q)
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(body) {
			t.Fatalf("%q ends in a lone backslash", q)
		}
		switch body[i] {
		case '"', '\\':
			b.WriteByte(body[i])
		case 'n':
			b.WriteByte('\n')
		default:
			t.Fatalf("%q holds the escape \\%c", q, body[i])
		}
	}
	return b.String()
}

// FuzzDotString checks that any text quotes to a DOT string that reads
// back as the text, less what a C string cannot hold.
func FuzzDotString(f *testing.F) {
	for _, seed := range []string{"clean", `a "b"`, `c:\d\`, "two\nlines", "\x00", "\r\n", "ünï", `\N\G`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want strings.Builder
		// Carriage returns are dropped rune by rune, as dotString reads
		// them: removing them first would join the bytes around one into
		// a character that was not there.
		for _, r := range s {
			if r == '\r' {
				continue
			}
			if r < 0x20 && r != '\n' || r == 0x7f {
				r = '\uFFFD'
			}
			want.WriteRune(r)
		}
		if got := unquoteDOT(t, dotString(s)); got != want.String() {
			t.Fatalf("dotString(%q) reads back as %q, want %q", s, got, want.String())
		}
	})
}

// svgNode is a node group of the SVG graphviz writes.
type svgNode struct {
	ID    string   `xml:"id,attr"`
	Class string   `xml:"class,attr"`
	Title string   `xml:"title"`
	Texts []string `xml:"text"`
}

func TestWriteHTML(t *testing.T) {
	g := sample()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, g); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
		"<title>Stages of the working tree of main</title>",
		`<b>fresh</b> <span class="meaning">computed, and the working tree holds its outputs</span>`,
		`<th>state</th>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, unwanted := range []string{"<b>cached</b>", "ZgotmplZ", "<script", " src=", " href="} {
		if strings.Contains(page, unwanted) {
			t.Errorf("the page holds %s", unwanted)
		}
	}
	start, end := strings.Index(page, "<svg"), strings.Index(page, "</svg>")
	if start < 0 || end < 0 {
		t.Fatalf("the page has no inline SVG")
	}
	var svg struct {
		Groups []svgNode `xml:"g"`
	}
	if err := xml.Unmarshal([]byte(page[start:end+len("</svg>")]), &svg); err != nil {
		t.Fatalf("the inline SVG does not parse: %v", err)
	}
	var nodes []svgNode
	for _, grp := range svg.Groups {
		if strings.HasPrefix(grp.Class, "node ") {
			nodes = append(nodes, grp)
		}
	}
	if len(nodes) != len(g.Nodes) {
		t.Fatalf("the SVG has %d nodes, want %d", len(nodes), len(g.Nodes))
	}
	for i, n := range nodes {
		want := strings.Join(g.hover(g.Nodes[i]), "\n")
		if n.ID != nodeID(i) || n.Class != "node "+g.Nodes[i].Class || n.Title != want {
			t.Errorf("SVG node %s (class %q) has the title %q, want %q", n.ID, n.Class, n.Title, want)
		}
		if len(n.Texts) == 0 || n.Texts[0] != g.Nodes[i].Name {
			t.Errorf("SVG node %s shows %q first, want %q", n.ID, n.Texts, g.Nodes[i].Name)
		}
	}
}
