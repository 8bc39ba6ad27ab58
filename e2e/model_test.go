package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The model-based test drives a real repository, with git dds install
// done, through seeded random sequences of git operations, edits of
// params, data and code, git dds run and git dds checkout. After every
// step it checks the rule docs/reliability.md states against an oracle:
// each stage command run by hand in a scratch folder holding the working
// tree's tracked files, as git commit -a would record them. That page
// says what it checks and how to run it long.

// modelStage is one stage of the model's pipeline. The oracle runs cmd
// itself, so the commands are cheap and read only their deps and params.
type modelStage struct {
	name   string
	cmd    string
	deps   []string
	params []string // keys of params.yaml
	outs   []string
}

// modelStages is the pipeline in the order the oracle runs it: a chain
// prep → feat (a folder) → report → summary, side on its own, and extra,
// which the toggle op adds to dds.yaml and removes again.
var modelStages = []modelStage{
	{name: "prep", cmd: `mkdir -p out && A=$(sed -n 's/^a:.//p' params.yaml) && sed "s/^/$A /" data/in.txt > out/prep.txt`,
		deps: []string{"data/in.txt"}, params: []string{"a"}, outs: []string{"out/prep.txt"}},
	{name: "feat", cmd: `rm -rf out/feat && mkdir -p out/feat && sh src/feat.sh`,
		deps: []string{"out/prep.txt", "src/feat.sh"}, params: []string{"b"}, outs: []string{"out/feat"}},
	{name: "report", cmd: `cat out/feat/upper.txt out/feat/b.txt | sed 's/$/;/' > out/report.txt`,
		deps: []string{"out/feat"}, outs: []string{"out/report.txt"}},
	{name: "summary", cmd: `C=$(sed -n 's/^c:.//p' params.yaml) && wc -l < out/report.txt | tr -d ' ' > out/summary.txt && echo "c=$C" >> out/summary.txt`,
		deps: []string{"out/report.txt"}, params: []string{"c"}, outs: []string{"out/summary.txt"}},
	{name: "side", cmd: `mkdir -p out && tr a-z n-za-m < data/side.txt > out/side.txt`,
		deps: []string{"data/side.txt"}, outs: []string{"out/side.txt"}},
	{name: "extra", cmd: `sed 's/ /_/g' out/prep.txt > out/extra.txt`,
		deps: []string{"out/prep.txt"}, outs: []string{"out/extra.txt"}},
}

const modelOptional = "extra"

// modelYAML writes dds.yaml, with or without the optional stage.
func modelYAML(withExtra bool) string {
	var b strings.Builder
	b.WriteString("stages:\n")
	for _, st := range modelStages {
		if st.name == modelOptional && !withExtra {
			continue
		}
		fmt.Fprintf(&b, "  %s:\n    cmd: '%s'\n", st.name, strings.ReplaceAll(st.cmd, "'", "''"))
		if len(st.deps) > 0 {
			fmt.Fprintf(&b, "    deps: [%s]\n", strings.Join(st.deps, ", "))
		}
		if len(st.params) > 0 {
			fmt.Fprintf(&b, "    params: {params.yaml: [%s]}\n", strings.Join(st.params, ", "))
		}
		fmt.Fprintf(&b, "    outs: [%s]\n", strings.Join(st.outs, ", "))
	}
	return b.String()
}

// The contents the edit ops choose from: few, so that the same signature
// comes back often and the store has it.
var (
	modelParamValues = []string{"1", "2", "3"}
	modelInputs      = []string{"hello\nworld\n", "hello\nthere\n", "alpha\nbeta\ngamma\n", "lo\n"}
	modelSides       = []string{"one\n", "two\n", "three\n"}
	// "A-Za-z A-ZA-Z" is other code doing what "a-z A-Z" does: feat
	// writes the same bytes, and run cuts off the stages below it.
	modelCodes = []string{"a-z A-Z", "a-m A-M", "aeiou AEIOU", "lo LO", "A-Za-z A-ZA-Z"}
)

func modelParams(a, b, c, note string) string {
	return fmt.Sprintf("a: %s\nb: %s\nc: %s\nnote: %s\n", a, b, c, note)
}

func modelCode(tr string) string {
	return fmt.Sprintf("tr %s < out/prep.txt > out/feat/upper.txt\nsed -n 's/^b:.//p' params.yaml > out/feat/b.txt\n", tr)
}

// modelKnownBroken lists what the hooks are known to get wrong, with why.
// A key is an op, which is then not drawn, or "op: class" ("*: class" for
// every op), a class of finding after that op, which is then logged and
// the campaign goes on in a fresh repository. DDS_MODEL_BROKEN=1 ignores
// the list. Delete an entry once its fix is in, and the model test checks
// it again.
var modelKnownBroken = map[string]string{}

// opKind says what an op may leave in the working tree, which decides
// what the check after it allows.
type opKind int

const (
	kindSkip     opKind = iota // the op did not apply: draw another
	kindEdit                   // the test edited tracked files: outputs may be out of step, never called fresh
	kindHandEdit               // the test edited an output: status calls it modified
	kindGit                    // a git command that does not move the working tree: outputs stay as they were
	kindSync                   // a git command that moves the working tree and fires a hook: outputs follow
	kindHookless               // a git command that moves the working tree with no hook: never called fresh, checkout fixes it
	kindRun                    // git dds run
	kindCheckout               // git dds checkout
)

type modelOp struct {
	name   string
	weight int
	do     func(m *model, w *modelTree) opKind
}

// modelOps is what a step draws from, by weight.
var modelOps = []modelOp{
	{"edit params", 8, (*model).editParams},
	{"edit data", 3, (*model).editData},
	{"edit code", 3, (*model).editCode},
	{"edit side", 2, (*model).editSide},
	{"toggle stage", 1, (*model).toggleStage},
	{"edit output", 2, (*model).editOutput},
	{"restore file", 2, (*model).restoreFile},
	{"commit", 8, (*model).commit},
	{"commit --amend", 2, (*model).amend},
	{"branch", 2, (*model).branch},
	{"switch", 5, (*model).switchClean},
	{"switch dirty", 3, (*model).switchDirty},
	{"switch -c", 3, (*model).switchNew},
	{"switch -c dirty", 3, (*model).switchNewDirty},
	{"checkout --detach", 2, func(m *model, w *modelTree) opKind { return m.detach(w, false) }},
	{"checkout --detach dirty", 1, func(m *model, w *modelTree) opKind { return m.detach(w, true) }},
	{"merge", 3, func(m *model, w *modelTree) opKind { return m.merge(w, "") }},
	{"merge --no-ff", 2, func(m *model, w *modelTree) opKind { return m.merge(w, "--no-ff") }},
	{"merge --squash", 2, func(m *model, w *modelTree) opKind { return m.merge(w, "--squash") }},
	{"cherry-pick", 3, (*model).cherryPick},
	{"revert", 2, (*model).revert},
	{"reset --hard", 2, (*model).resetHard},
	{"reset --mixed", 2, (*model).resetMixed},
	{"stash", 2, (*model).stash},
	{"stash pop", 2, (*model).stashPop},
	{"rebase", 2, (*model).rebase},
	{"rebase -i squash", 2, (*model).rebaseSquash},
	{"bisect start", 1, (*model).bisectStart},
	{"bisect step", 0, (*model).bisectStep}, // drawn while a bisect is under way
	{"bisect reset", 0, (*model).bisectReset},
	{"worktree add", 1, (*model).worktreeAdd},
	{"worktree remove", 1, (*model).worktreeRemove},
	{"dds run", 7, (*model).ddsRun},
	{"dds checkout", 2, (*model).ddsCheckout},
	{"dds checkout --force", 1, (*model).ddsCheckoutForce},
}

// modelTree is one working tree of the repository: the main one, or the
// linked worktree the worktree op adds.
type modelTree struct {
	dir string // relative to the sandbox
	// edited maps an output the test edited by hand to its digest then.
	edited map[string]string
	// before maps each output to its digest ("" when absent) at the last
	// check, and wrong says whether it differed from the oracle then.
	before map[string]string
	wrong  map[string]bool
}

// model is one seeded campaign.
type model struct {
	t    *testing.T
	s    *sandbox
	seed uint64
	rng  *rand.Rand
	step int
	// repo is the folder of the current repository; a finding in
	// DDS_MODEL_CONTINUE mode starts the next one afresh.
	repo  string
	trees []*modelTree
	names int
	// focus, when an op sets it, is the tree the op moved (worktree add
	// moves the new one).
	focus *modelTree
	// moved is the tree the step's git commands ran in: their messages
	// are about it.
	moved *modelTree
	// settingUp is true while the fresh repository is checked: a break
	// then is fatal, not a reason to start afresh again.
	settingUp bool

	transcript []string
	lastErr    string   // stderr of the step's last git command
	warnings   []string // git dds warnings the step's last git command printed
	// midWarnings counts the warnings of the commands before a step's
	// last.
	midWarnings int
	lastCode    int
	// cutOffs counts the stages runs cut off: each is then held to the
	// oracle like any other, so the campaign shows cut-off never serves
	// other bytes than an execution would.
	cutOffs int

	oracle map[string]map[string]string // inputs -> output -> digest
	texts  map[string]string            // digest -> the bytes, for a failure's diff

	cfg      modelConfig
	counts   map[string]int
	known    int // findings of modelKnownBroken, each followed by a fresh repository
	findings []modelFinding
	// failed is the finding that stopped the campaign.
	failed  *modelFinding
	episode int
}

// modelFinding is one break of the rule.
type modelFinding struct {
	Seed       uint64 `json:"seed"`
	Step       int    `json:"step"`
	Op         string `json:"op"`
	Class      string `json:"class"`
	What       string `json:"what"`
	Transcript string `json:"transcript,omitempty"`
}

// TestModel runs DDS_MODEL_STEPS steps (300 by default) with seed
// DDS_MODEL_SEED (1 by default, so that make test is repeatable; a long
// run draws its own). DDS_MODEL_OPS limits the ops drawn (comma-separated
// names), DDS_MODEL_BROKEN=1 draws the known-broken ones too and fails on
// their findings, DDS_MODEL_SKIP skips steps (3,10-20: each step draws
// from its own generator, so the others draw what they drew),
// DDS_MODEL_MINIMIZE=1 cuts a failing sequence down to the steps it needs,
// DDS_MODEL_CONTINUE=1 records a finding and goes on in a fresh
// repository, DDS_MODEL_REPORT names a JSON file for the figures, and
// DDS_MODEL_KEEP a folder for the transcript and repository of a failure.
func TestModel(t *testing.T) {
	cfg := modelConfig{steps: 300, seed: 1, stopAtFirst: os.Getenv("DDS_MODEL_CONTINUE") != "1", keep: os.Getenv("DDS_MODEL_KEEP")}
	cfg.fsmonitor = os.Getenv("DDS_MODEL_FSMONITOR") == "1"
	if v := os.Getenv("DDS_MODEL_STEPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("DDS_MODEL_STEPS is %q; it takes a number of steps", v)
		}
		cfg.steps = n
	}
	if v := os.Getenv("DDS_MODEL_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("DDS_MODEL_SEED is %q; it takes a number", v)
		}
		cfg.seed = n
	}
	var only map[string]bool
	if v := os.Getenv("DDS_MODEL_OPS"); v != "" {
		only = map[string]bool{}
		for _, name := range strings.Split(v, ",") {
			only[strings.TrimSpace(name)] = true
		}
	}
	skip, err := parseSteps(os.Getenv("DDS_MODEL_SKIP"))
	if err != nil {
		t.Fatalf("DDS_MODEL_SKIP: %v", err)
	}
	cfg.skip = skip
	cfg.known = map[string]string{}
	if os.Getenv("DDS_MODEL_BROKEN") != "1" {
		cfg.known = modelKnownBroken
	}
	for _, op := range modelOps {
		if reason, known := cfg.known[op.name]; known {
			t.Logf("model: not drawing %q, known broken: %s", op.name, reason)
			continue
		}
		if only != nil && !only[op.name] && op.weight > 0 {
			continue
		}
		cfg.ops = append(cfg.ops, op)
	}
	t.Logf("model: %d steps, seed %d (DDS_MODEL_SEED=%d draws the same steps)", cfg.steps, cfg.seed, cfg.seed)
	m := runModel(t, cfg)
	if m.failed != nil && os.Getenv("DDS_MODEL_MINIMIZE") == "1" {
		minimizeModel(t, cfg, m)
	}
}

// modelConfig is what a campaign draws from.
type modelConfig struct {
	steps       int
	seed        uint64
	ops         []modelOp
	skip        map[int]bool
	known       map[string]string
	stopAtFirst bool
	keep        string
	// quiet campaigns are the trials of a minimization: they report
	// nothing.
	quiet bool
	// fsmonitor sets core.fsmonitor to modelFSMonitorHook in every
	// repository, so that each status asks it what changed.
	fsmonitor bool
}

// TestModelFSMonitor is TestModel with a file-system monitor: every
// status trusts git's index for what the hook does not report, and must
// still agree with the oracle after every step. DDS_MODEL_STEPS (60
// here) and the other settings of TestModel apply.
func TestModelFSMonitor(t *testing.T) {
	t.Setenv("DDS_MODEL_FSMONITOR", "1")
	if os.Getenv("DDS_MODEL_STEPS") == "" {
		t.Setenv("DDS_MODEL_STEPS", "60")
	}
	if os.Getenv("DDS_MODEL_SEED") == "" {
		t.Setenv("DDS_MODEL_SEED", "2")
	}
	TestModel(t)
}

// modelFSMonitorHook is a monitor of git's hook protocol, version 2, that
// polls: the token is a stamp file in the git directory dated two seconds
// back, and the changed paths are those whose inode changed after it,
// folders included (a folder whose entries came or went stands for all
// under it). Reporting too much is safe; too little would be a finding.
const modelFSMonitorHook = `#!/bin/sh
[ "$1" = 2 ] || exit 1
gd=$(git rev-parse --absolute-git-dir) || exit 1
stamp=$(mktemp "$gd/fsmonitor-stamp.XXXXXX") || exit 1
touch -d "@$(( $(date +%s) - 2 ))" "$stamp" || exit 1
printf '%s\0' "$stamp"
if [ -z "$2" ] || [ ! -e "$2" ]; then
	printf '/\0'
	exit 0
fi
find . -mindepth 1 -path ./.git -prune -o -cnewer "$2" -print0 | sed -z 's|^\./||'
`

// runModel runs one campaign in a sandbox of its own.
func runModel(t *testing.T, cfg modelConfig) *model {
	m := &model{
		t:      t,
		s:      newSandbox(t),
		cfg:    cfg,
		seed:   cfg.seed,
		oracle: map[string]map[string]string{},
		texts:  map[string]string{},
		counts: map[string]int{},
	}
	m.s.env = append(m.s.env, "GIT_EDITOR=true")
	started := time.Now()
	m.setUp()
	for m.step = 1; m.step <= cfg.steps; m.step++ {
		if cfg.skip[m.step] {
			continue
		}
		if !m.runStep() && cfg.stopAtFirst {
			break
		}
		if !cfg.quiet && m.step%1000 == 0 {
			m.t.Logf("model: step %d, %s, %d findings, %d known broken", m.step, time.Since(started).Round(time.Second), len(m.findings), m.known)
		}
	}
	if !cfg.quiet {
		m.report(time.Since(started))
	}
	return m
}

// minimizeModel cuts the steps of a failing campaign down, a chunk at a
// time, to a sequence that still fails the same way after the same op,
// and prints it.
func minimizeModel(t *testing.T, cfg modelConfig, failing *model) {
	want := failing.failed
	var kept []int
	for i := 1; i <= want.Step; i++ {
		if !cfg.skip[i] {
			kept = append(kept, i)
		}
	}
	trials := 0
	last := failing
	try := func(steps []int) bool {
		trials++
		trial := cfg
		trial.quiet, trial.stopAtFirst, trial.keep = true, true, ""
		trial.steps = steps[len(steps)-1]
		trial.skip = map[int]bool{}
		in := map[int]bool{}
		for _, s := range steps {
			in[s] = true
		}
		for i := 1; i <= trial.steps; i++ {
			trial.skip[i] = !in[i]
		}
		m := runModel(t, trial)
		if m.failed == nil || m.failed.Op != want.Op || m.failed.Class != want.Class {
			return false
		}
		last = m
		return true
	}
	// Past its budget, it prints the shortest sequence it has.
	deadline := time.Now().Add(15 * time.Minute)
	within := func() bool { return trials < 300 && time.Now().Before(deadline) }
	for chunk := max(len(kept)/2, 1); chunk >= 1 && within(); {
		cut := false
		for at := 0; at < len(kept) && within(); at += chunk {
			candidate := append(slices.Clone(kept[:at]), kept[min(at+chunk, len(kept)):]...)
			if len(candidate) > 0 && try(candidate) {
				kept = candidate
				// The failure may now come sooner.
				kept = slices.DeleteFunc(kept, func(s int) bool { return s > last.failed.Step })
				cut = true
				break
			}
		}
		if !cut {
			if chunk == 1 {
				break
			}
			chunk /= 2
		}
	}
	var skipped []string
	in := map[int]bool{}
	for _, s := range kept {
		in[s] = true
	}
	for i := 1; i <= last.failed.Step; i++ {
		if !in[i] {
			skipped = append(skipped, strconv.Itoa(i))
		}
	}
	settings := fmt.Sprintf("DDS_MODEL_SEED=%d DDS_MODEL_STEPS=%d DDS_MODEL_SKIP=%s", cfg.seed, last.failed.Step, compressSteps(skipped))
	for _, name := range []string{"DDS_MODEL_OPS", "DDS_MODEL_BROKEN"} {
		if v := os.Getenv(name); v != "" {
			settings += " " + name + "=" + shellQuote(v)
		}
	}
	t.Errorf("model: minimized in %d trials to %d steps (%s):\n  %s: %s\n%s",
		trials, len(kept), settings, last.failed.Class, last.failed.What, last.failed.Transcript)
}

// compressSteps writes step numbers as ranges: 1,2,3,7 is 1-3,7.
func compressSteps(steps []string) string {
	var parts []string
	for i := 0; i < len(steps); {
		j := i
		for j+1 < len(steps) {
			a, _ := strconv.Atoi(steps[j])
			b, _ := strconv.Atoi(steps[j+1])
			if b != a+1 {
				break
			}
			j++
		}
		if j > i {
			parts = append(parts, steps[i]+"-"+steps[j])
		} else {
			parts = append(parts, steps[i])
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// parseSteps reads "3,10-20".
func parseSteps(v string) (map[int]bool, error) {
	set := map[int]bool{}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("%q is not a step or a range of steps", part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("%q is not a step or a range of steps", part)
			}
		}
		for i := a; i <= b; i++ {
			set[i] = true
		}
	}
	return set, nil
}

// setUp makes a fresh repository with the pipeline committed and the
// hooks installed, nothing computed. The transcript starts here.
func (m *model) setUp() {
	m.episode++
	m.trees = nil
	m.lastErr, m.lastCode, m.warnings = "", 0, nil
	m.repo = "repo"
	if m.episode > 1 {
		m.repo = fmt.Sprintf("repo%d", m.episode)
	}
	m.trees = []*modelTree{newModelTree(m.repo)}
	m.names = 0
	m.transcript = []string{
		"#!/bin/sh",
		fmt.Sprintf("# git dds model test, seed %d: replay in an empty folder, git-dds on PATH", m.seed),
		"export GIT_EDITOR=true LC_ALL=C GIT_CONFIG_NOSYSTEM=1 HOME=\"$PWD\" GIT_AUTHOR_NAME='E2E Author' GIT_AUTHOR_EMAIL=author@example.com GIT_COMMITTER_NAME='E2E Committer' GIT_COMMITTER_EMAIL=committer@example.com",
		"git config --global init.defaultBranch main && git config --global advice.detachedHead false",
		"printf '%s\\n' '#!/bin/sh' 'sed -i \"2,\\$s/^pick /squash /\" \"$1\"' > squash.sh && chmod +x squash.sh",
		"mkdir " + m.repo,
	}
	m.s.write("squash.sh", "#!/bin/sh\nsed -i \"2,\\$s/^pick /squash /\" \"$1\"\n")
	if err := os.Chmod(m.s.path("squash.sh"), 0o755); err != nil {
		m.t.Fatal(err)
	}
	m.log(m.dated())
	w := m.trees[0]
	if err := os.MkdirAll(m.s.path(m.repo), 0o755); err != nil {
		m.t.Fatal(err)
	}
	m.git(w, "init", "-q")
	if m.cfg.fsmonitor {
		hook := m.s.path("fsmonitor-poll")
		if err := os.WriteFile(hook, []byte(modelFSMonitorHook), 0o755); err != nil {
			m.t.Fatal(err)
		}
		m.transcript = append(m.transcript, "cat > fsmonitor-poll <<'EOF'\n"+modelFSMonitorHook+"EOF\nchmod +x fsmonitor-poll")
		m.git(w, "config", "core.fsmonitor", hook)
	}
	m.write(w, "dds.yaml", modelYAML(false))
	m.write(w, "params.yaml", modelParams("1", "1", "1", "1"))
	m.write(w, "data/in.txt", modelInputs[0])
	m.write(w, "data/side.txt", modelSides[0])
	m.write(w, "src/feat.sh", modelCode(modelCodes[0]))
	m.git(w, "dds", "install")
	m.git(w, "add", "-A")
	// The .gitignore block is committed with the pipeline, as a user does
	// after the first run, so that branches switch cleanly.
	m.git(w, "dds", "run", "--dry-run")
	m.git(w, "add", "-A")
	m.git(w, "commit", "-q", "-m", "pipeline")
	if m.lastCode != 0 || m.dirty(w) {
		m.t.Fatalf("setting up the model's repository failed:\n%s", m.lastErr)
	}
	m.moved = w
	m.settingUp = true
	m.check(w, "set up", kindGit)
	m.settingUp = false
}

func newModelTree(dir string) *modelTree {
	return &modelTree{dir: dir, edited: map[string]string{}, before: map[string]string{}, wrong: map[string]bool{}}
}

// runStep draws an op that applies, does it and checks every working
// tree. It reports whether the rule held.
func (m *model) runStep() bool {
	m.rng = rand.New(rand.NewPCG(m.seed, uint64(m.step)))
	for tries := 0; tries < 50; tries++ {
		w := m.trees[0]
		if len(m.trees) > 1 && m.rng.IntN(4) == 0 {
			w = m.trees[1]
		}
		op := m.draw(w)
		mark := len(m.transcript)
		m.transcript = append(m.transcript, fmt.Sprintf("# step %d: %s (in %s)", m.step, op.name, w.dir), m.dated())
		m.lastErr, m.lastCode, m.warnings = "", 0, nil
		m.focus = nil
		head := m.head(w)
		kind := op.do(m, w)
		if m.focus != nil {
			w = m.focus
		} else if kind == kindSync && m.head(w) == head {
			// git refused, or had nothing to do (a merge already up to
			// date), and ran no hook.
			kind = kindGit
		}
		if kind == kindSkip {
			m.transcript = m.transcript[:mark]
			continue
		}
		m.counts[op.name]++
		episode := m.episode
		m.moved = w
		for _, tree := range m.trees {
			k := kind
			if tree != w {
				k = kindGit // the other tree's files did not move
			}
			if !m.check(tree, op.name, k) {
				return false
			}
			if m.episode != episode {
				break // a known break: the campaign goes on in a fresh repository
			}
		}
		return true
	}
	return true
}

// draw picks an op by weight; while a bisect is under way in the main
// tree, only bisect steps, runs and checkouts are drawn there.
func (m *model) draw(w *modelTree) modelOp {
	bisecting := w == m.trees[0] && m.exists(w, ".git/BISECT_LOG")
	var pool []modelOp
	total := 0
	for _, op := range m.cfg.ops {
		weight := op.weight
		if bisecting {
			switch op.name {
			case "bisect step":
				weight = 6
			case "bisect reset":
				weight = 2
			case "dds run", "dds checkout", "edit output":
			default:
				weight = 0
			}
		}
		if weight > 0 {
			pool = append(pool, modelOp{op.name, weight, op.do})
			total += weight
		}
	}
	n := m.rng.IntN(total)
	for _, op := range pool {
		if n < op.weight {
			return op
		}
		n -= op.weight
	}
	return pool[0]
}

// head names where w's HEAD is: the branch, and the commit.
func (m *model) head(w *modelTree) string {
	ref := m.s.exec(w.dir, "git", "symbolic-ref", "-q", "HEAD")
	return strings.TrimSpace(ref.stdout) + " " + strings.TrimSpace(m.quiet(w, "rev-parse", "HEAD"))
}

// --- running and logging commands ---

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:~^@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (m *model) log(line string) { m.transcript = append(m.transcript, line) }

// git runs git args in w, logging it; its stderr is kept as the step's
// last.
func (m *model) git(w *modelTree, args ...string) string {
	return m.gitEnv(w, nil, args...)
}

func (m *model) gitEnv(w *modelTree, env []string, args ...string) string {
	m.t.Helper()
	cmd := m.s.command(w.dir, "git", args...)
	cmd.Env = append(slices.Clone(m.s.env), env...)
	cmd.Env = append(cmd.Env, "GIT_AUTHOR_DATE="+m.date(), "GIT_COMMITTER_DATE="+m.date())
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exitErr, ok := err.(*exec.ExitError); ok {
		code = exitErr.ExitCode()
	} else if err != nil {
		m.t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	line := strings.Join(env, " ")
	if line != "" {
		line += " "
	}
	line += "git -C " + w.dir + " " + strings.Join(quoted, " ")
	if code != 0 {
		line += fmt.Sprintf(" # exit %d", code)
	}
	m.log(line)
	m.lastErr, m.lastCode = stderr.String(), code
	// The rule holds after the step's last command; a warning before it
	// came from a hook that ran while a conflict was being resolved, with
	// the markers in the files: counted, not a break.
	m.midWarnings += len(m.warnings)
	m.warnings = nil
	for _, l := range strings.Split(m.lastErr, "\n") {
		if strings.HasPrefix(l, "git dds: warning:") {
			m.warnings = append(m.warnings, l)
		}
	}
	return stdout.String()
}

// date is the commit date of the step's commits: one a step, so that the
// commit ids of a replay of the transcript are the same.
func (m *model) date() string { return fmt.Sprintf("@%d +0000", 1767225600+60*m.step) }

func (m *model) dated() string {
	return fmt.Sprintf("export GIT_AUTHOR_DATE='%s' GIT_COMMITTER_DATE='%s'", m.date(), m.date())
}

// quiet runs a git command that only reads, unlogged.
func (m *model) quiet(w *modelTree, args ...string) string {
	m.t.Helper()
	res := m.s.exec(w.dir, "git", args...)
	if res.code != 0 {
		m.t.Fatalf("git %s in %s exited with %d:\n%s", strings.Join(args, " "), w.dir, res.code, res.stderr)
	}
	return res.stdout
}

// write creates a file of w, logging it.
func (m *model) write(w *modelTree, path, content string) {
	m.s.write(w.dir+"/"+path, content)
	m.log(fmt.Sprintf("mkdir -p %s && printf '%%s' %s > %s", filepath.Dir(w.dir+"/"+path), shellQuote(content), w.dir+"/"+path))
}

func (m *model) read(w *modelTree, path string) string {
	data, err := os.ReadFile(m.s.path(w.dir + "/" + path))
	if err != nil {
		return ""
	}
	return string(data)
}

func (m *model) exists(w *modelTree, path string) bool {
	p := path
	if strings.HasPrefix(path, ".git/") {
		// A linked worktree's git folder is elsewhere.
		p = strings.TrimSpace(m.quiet(w, "rev-parse", "--git-path", strings.TrimPrefix(path, ".git/")))
		if !filepath.IsAbs(p) {
			p = m.s.path(w.dir + "/" + p)
		}
		_, err := os.Stat(p)
		return err == nil
	}
	_, err := os.Stat(m.s.path(w.dir + "/" + p))
	return err == nil
}

func (m *model) pick(list []string) string { return list[m.rng.IntN(len(list))] }

func (m *model) dirty(w *modelTree) bool {
	return strings.TrimSpace(m.quiet(w, "status", "--porcelain", "-uno")) != ""
}

func (m *model) branches(w *modelTree) []string {
	return strings.Fields(m.quiet(w, "for-each-ref", "--format=%(refname:short)", "refs/heads"))
}

func (m *model) current(w *modelTree) string {
	return strings.TrimSpace(m.quiet(w, "branch", "--show-current"))
}

// otherBranch is a branch other than the one w is on, or "".
func (m *model) otherBranch(w *modelTree) string {
	cur := m.current(w)
	var others []string
	for _, b := range m.branches(w) {
		if b != cur {
			others = append(others, b)
		}
	}
	if len(others) == 0 {
		return ""
	}
	return m.pick(others)
}

func (m *model) newName(prefix string) string {
	m.names++
	return fmt.Sprintf("%s%d", prefix, m.names)
}

// commits lists up to n commits reachable from rev.
func (m *model) commits(w *modelTree, n int, args ...string) []string {
	return strings.Fields(m.quiet(w, append([]string{"rev-list", "--max-count=" + strconv.Itoa(n)}, args...)...))
}

// --- edits ---

func (m *model) editParams(w *modelTree) opKind {
	vals := map[string]string{}
	for _, line := range strings.Split(m.read(w, "params.yaml"), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok {
			vals[k] = v
		}
	}
	key := m.pick([]string{"a", "b", "c", "note"})
	vals[key] = m.pick(modelParamValues)
	m.write(w, "params.yaml", modelParams(vals["a"], vals["b"], vals["c"], vals["note"]))
	return kindEdit
}

func (m *model) editData(w *modelTree) opKind {
	m.write(w, "data/in.txt", m.pick(modelInputs))
	return kindEdit
}

func (m *model) editSide(w *modelTree) opKind {
	m.write(w, "data/side.txt", m.pick(modelSides))
	return kindEdit
}

func (m *model) editCode(w *modelTree) opKind {
	m.write(w, "src/feat.sh", modelCode(m.pick(modelCodes)))
	return kindEdit
}

func (m *model) toggleStage(w *modelTree) opKind {
	m.write(w, "dds.yaml", modelYAML(m.read(w, "dds.yaml") == modelYAML(false)))
	return kindEdit
}

// editOutput appends a line to an output, as a person editing it would.
func (m *model) editOutput(w *modelTree) opKind {
	var present []string
	for _, st := range m.declared(w) {
		if st.name == modelOptional {
			continue
		}
		for _, o := range st.outs {
			if m.exists(w, o) {
				present = append(present, o)
			}
		}
	}
	if len(present) == 0 {
		return kindSkip
	}
	out := m.pick(present)
	file := out
	if out == "out/feat" {
		file = "out/feat/upper.txt"
		if !m.exists(w, file) {
			return kindSkip
		}
	}
	p := m.s.path(w.dir + "/" + file)
	info, err := os.Stat(p)
	if err != nil {
		m.t.Fatal(err)
	}
	_ = os.Chmod(p, info.Mode().Perm()|0o200)
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		m.t.Fatal(err)
	}
	_, err = f.WriteString("edited by hand\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		m.t.Fatal(err)
	}
	m.log(fmt.Sprintf("chmod u+w %s/%s && echo 'edited by hand' >> %s/%s", w.dir, file, w.dir, file))
	w.edited[out] = digest(m.s.path(w.dir + "/" + out))
	return kindHandEdit
}

// restoreFile undoes the test's edits with a file checkout, which fires
// post-checkout with flag 0 (no branch moved).
func (m *model) restoreFile(w *modelTree) opKind {
	if !m.dirty(w) {
		return kindSkip
	}
	if m.rng.IntN(2) == 0 {
		m.git(w, "checkout", "--", m.pick([]string{"params.yaml", "data", "src/feat.sh", "dds.yaml"}))
	} else {
		m.git(w, "restore", ".")
	}
	return kindEdit
}

// --- git ---

func (m *model) commit(w *modelTree) opKind {
	if !m.dirty(w) {
		return kindSkip
	}
	m.git(w, "add", "-A")
	m.git(w, "commit", "-q", "-m", fmt.Sprintf("step %d", m.step))
	return kindGit
}

func (m *model) amend(w *modelTree) opKind {
	if len(m.commits(w, 2, "HEAD")) < 2 {
		return kindSkip
	}
	m.git(w, "add", "-A")
	m.git(w, "commit", "-q", "--amend", "-m", fmt.Sprintf("step %d (amended)", m.step))
	return kindSync
}

func (m *model) branch(w *modelTree) opKind {
	m.git(w, "branch", m.newName("b"))
	return kindGit
}

func (m *model) switchTo(w *modelTree, wantDirty bool) opKind {
	if m.dirty(w) != wantDirty {
		return kindSkip
	}
	other := m.otherBranch(w)
	if other == "" {
		return kindSkip
	}
	if m.rng.IntN(2) == 0 {
		m.git(w, "switch", "-q", other)
	} else {
		m.git(w, "checkout", "-q", other)
	}
	return kindSync
}

func (m *model) switchClean(w *modelTree) opKind { return m.switchTo(w, false) }
func (m *model) switchDirty(w *modelTree) opKind { return m.switchTo(w, true) }

func (m *model) switchNewTo(w *modelTree, wantDirty bool) opKind {
	if m.dirty(w) != wantDirty {
		return kindSkip
	}
	name := m.newName("b")
	if m.rng.IntN(2) == 0 {
		m.git(w, "switch", "-q", "-c", name)
	} else {
		m.git(w, "checkout", "-q", "-b", name)
	}
	return kindSync
}

func (m *model) switchNew(w *modelTree) opKind      { return m.switchNewTo(w, false) }
func (m *model) switchNewDirty(w *modelTree) opKind { return m.switchNewTo(w, true) }

func (m *model) detach(w *modelTree, wantDirty bool) opKind {
	if m.dirty(w) != wantDirty {
		return kindSkip
	}
	revs := m.commits(w, 12, "--all")
	m.git(w, "checkout", "-q", "--detach", m.pick(revs))
	return kindSync
}

// resolve settles every conflicted path by taking one side whole, as a
// person picking a version would, and stages it.
func (m *model) resolve(w *modelTree) bool {
	paths := strings.Fields(m.quiet(w, "diff", "--name-only", "--diff-filter=U"))
	for _, p := range paths {
		side := m.pick([]string{"--ours", "--theirs"})
		m.git(w, "checkout", side, "--", p)
		if m.lastCode != 0 {
			m.git(w, "rm", "-q", "--", p)
		} else {
			m.git(w, "add", "--", p)
		}
	}
	return len(paths) > 0
}

func (m *model) merge(w *modelTree, flag string) opKind {
	if m.dirty(w) {
		return kindSkip
	}
	other := m.otherBranch(w)
	if other == "" {
		return kindSkip
	}
	args := []string{"merge", "-q"}
	if flag != "" {
		args = append(args, flag)
	}
	m.git(w, append(args, other)...)
	conflicted := m.lastCode != 0 && m.resolve(w)
	if conflicted || flag == "--squash" {
		if conflicted {
			m.log("# conflicted, resolved")
		}
		if m.dirtyIndex(w) {
			m.git(w, "commit", "-q", "--no-edit", "-m", fmt.Sprintf("step %d: merge %s", m.step, other))
		}
		if m.exists(w, ".git/MERGE_HEAD") {
			m.git(w, "merge", "--abort")
		}
	}
	return kindSync
}

func (m *model) dirtyIndex(w *modelTree) bool {
	return m.s.exec(w.dir, "git", "diff", "--cached", "--quiet").code != 0
}

// sequence finishes a cherry-pick, revert or rebase that stopped on a
// conflict, resolving each stop, or aborts it.
func (m *model) sequence(w *modelTree, cmd string) {
	for i := 0; i < 10 && m.lastCode != 0; i++ {
		if !m.resolve(w) {
			break
		}
		m.git(w, cmd, "--continue")
	}
	if m.lastCode != 0 {
		m.git(w, cmd, "--abort")
	}
}

func (m *model) cherryPick(w *modelTree) opKind {
	if m.dirty(w) {
		return kindSkip
	}
	other := m.otherBranch(w)
	if other == "" {
		return kindSkip
	}
	revs := m.commits(w, 10, "--no-merges", "HEAD.."+other)
	if len(revs) == 0 {
		return kindSkip
	}
	m.git(w, "cherry-pick", m.pick(revs))
	m.sequence(w, "cherry-pick")
	return kindSync
}

func (m *model) revert(w *modelTree) opKind {
	if m.dirty(w) {
		return kindSkip
	}
	revs := m.commits(w, 5, "--no-merges", "--min-parents=1", "HEAD")
	if len(revs) == 0 {
		return kindSkip
	}
	m.git(w, "revert", "--no-edit", m.pick(revs))
	m.sequence(w, "revert")
	return kindSync
}

func (m *model) resetHard(w *modelTree) opKind {
	revs := m.commits(w, 12, "--all")
	m.git(w, "reset", "-q", "--hard", m.pick(revs))
	return kindHookless
}

func (m *model) resetMixed(w *modelTree) opKind {
	if len(m.commits(w, 2, "HEAD")) < 2 {
		return kindSkip
	}
	m.git(w, "reset", "-q", "--mixed", "HEAD~1")
	return kindGit
}

func (m *model) stash(w *modelTree) opKind {
	if !m.dirty(w) {
		return kindSkip
	}
	m.git(w, "stash", "-q")
	return kindHookless
}

func (m *model) stashPop(w *modelTree) opKind {
	if strings.TrimSpace(m.quiet(w, "stash", "list")) == "" {
		return kindSkip
	}
	m.git(w, "stash", "pop", "-q")
	if m.lastCode != 0 && m.resolve(w) {
		m.git(w, "reset", "-q")
		m.git(w, "stash", "drop", "-q")
	}
	return kindHookless
}

func (m *model) rebase(w *modelTree) opKind {
	if m.dirty(w) {
		return kindSkip
	}
	other := m.otherBranch(w)
	if other == "" {
		return kindSkip
	}
	m.git(w, "rebase", "-q", other)
	m.sequence(w, "rebase")
	return kindSync
}

func (m *model) rebaseSquash(w *modelTree) opKind {
	if m.dirty(w) {
		return kindSkip
	}
	n := 2 + m.rng.IntN(2)
	if len(m.commits(w, n+1, "--first-parent", "HEAD")) < n+1 {
		return kindSkip
	}
	m.gitEnv(w, []string{"GIT_SEQUENCE_EDITOR=../squash.sh"}, "rebase", "-q", "-i", fmt.Sprintf("HEAD~%d", n))
	m.sequence(w, "rebase")
	return kindSync
}

func (m *model) bisectStart(w *modelTree) opKind {
	if w != m.trees[0] || m.dirty(w) {
		return kindSkip
	}
	revs := m.commits(w, 10, "--first-parent", "HEAD")
	if len(revs) < 3 {
		return kindSkip
	}
	m.git(w, "bisect", "start", "HEAD", revs[2+m.rng.IntN(len(revs)-2)])
	return kindSync
}

func (m *model) bisectStep(w *modelTree) opKind {
	if w != m.trees[0] || !m.exists(w, ".git/BISECT_LOG") {
		return kindSkip
	}
	m.git(w, "bisect", m.pick([]string{"good", "bad"}))
	return kindSync
}

func (m *model) bisectReset(w *modelTree) opKind {
	if w != m.trees[0] || !m.exists(w, ".git/BISECT_LOG") {
		return kindSkip
	}
	m.git(w, "bisect", "reset")
	return kindSync
}

func (m *model) worktreeAdd(w *modelTree) opKind {
	if len(m.trees) > 1 {
		return kindSkip
	}
	linked := newModelTree(m.repo + "-wt")
	if m.rng.IntN(2) == 0 {
		m.git(w, "worktree", "add", "-q", "-b", m.newName("w"), "../"+linked.dir)
	} else {
		m.git(w, "worktree", "add", "-q", "--detach", "../"+linked.dir, m.pick(m.commits(w, 6, "--all")))
	}
	if m.lastCode == 0 {
		m.trees = append(m.trees, linked)
		m.focus = linked
		// The check of the new tree is what matters here.
		return kindSync
	}
	return kindGit
}

func (m *model) worktreeRemove(w *modelTree) opKind {
	if len(m.trees) < 2 {
		return kindSkip
	}
	m.git(m.trees[0], "worktree", "remove", "--force", "../"+m.trees[1].dir)
	m.trees = m.trees[:1]
	return kindGit
}

// --- git dds ---

// cutOffCount reads the count of stages cut off from run's summary.
var cutOffCount = regexp.MustCompile(`, cut off ([0-9]+),`)

func (m *model) ddsRun(w *modelTree) opKind {
	if c := cutOffCount.FindStringSubmatch(m.git(w, "dds", "run")); c != nil {
		n, _ := strconv.Atoi(c[1])
		m.cutOffs += n
	}
	return kindRun
}

func (m *model) ddsCheckout(w *modelTree) opKind {
	m.git(w, "dds", "checkout")
	return kindCheckout
}

func (m *model) ddsCheckoutForce(w *modelTree) opKind {
	m.git(w, "dds", "checkout", "--force")
	// What checkout put back is no longer the test's edit.
	for out, d := range w.edited {
		if digest(m.s.path(w.dir+"/"+out)) != d {
			delete(w.edited, out)
		}
	}
	return kindCheckout
}

// --- the oracle and the check ---

// declared is the pipeline of w's dds.yaml.
func (m *model) declared(w *modelTree) []modelStage {
	yaml := m.read(w, "dds.yaml")
	for _, extra := range []bool{false, true} {
		if yaml == modelYAML(extra) {
			var stages []modelStage
			for _, st := range modelStages {
				if st.name != modelOptional || extra {
					stages = append(stages, st)
				}
			}
			return stages
		}
	}
	m.t.Fatalf("step %d: %s/dds.yaml is none of the model's:\n%s", m.step, w.dir, yaml)
	return nil
}

// expected runs the declared stages by hand in a scratch folder holding
// w's tracked files with their working-tree content (what git commit -a
// would record, which is what status evaluates), and gives each output's
// digest. Results are kept by content.
func (m *model) expected(w *modelTree, stages []modelStage) map[string]string {
	files := strings.Split(strings.TrimSuffix(m.quiet(w, "ls-files", "-z"), "\x00"), "\x00")
	sort.Strings(files)
	h := sha256.New()
	content := map[string]string{}
	for _, f := range files {
		if f == "" || f == ".gitignore" {
			continue
		}
		data, err := os.ReadFile(m.s.path(w.dir + "/" + f))
		if err != nil {
			continue // deleted in the working tree: not in the commit either
		}
		content[f] = string(data)
		fmt.Fprintf(h, "%q %d\n", f, len(data))
		h.Write(data)
	}
	key := hex.EncodeToString(h.Sum(nil))
	if want, ok := m.oracle[key]; ok {
		return want
	}
	scratch := "oracle/" + key[:16]
	for f, c := range content {
		m.s.write(scratch+"/"+f, c)
	}
	want := map[string]string{}
	for _, st := range stages {
		res := m.s.exec(scratch, "sh", "-c", st.cmd)
		if res.code != 0 {
			m.t.Fatalf("the oracle's run of stage %s failed (%d): %s", st.name, res.code, res.stderr)
		}
		for _, o := range st.outs {
			want[o] = digest(m.s.path(scratch + "/" + o))
			m.texts[want[o]] = render(m.s.path(scratch + "/" + o))
		}
	}
	if err := os.RemoveAll(m.s.path(scratch)); err != nil {
		m.t.Fatal(err)
	}
	m.oracle[key] = want
	return want
}

var (
	summaryCount = regexp.MustCompile(`^git dds: .*; (\d+) to compute$`)
	staleNames   = regexp.MustCompile(`^git dds: (\d+) stages? to compute \(([^)]*)\)`)
)

// check holds w to the rule after an op of kind, and reports whether it
// held. Each break is a finding.
func (m *model) check(w *modelTree, op string, kind opKind) bool {
	var problems []string
	fail := func(class, format string, args ...any) {
		problems = append(problems, class+": "+fmt.Sprintf(format, args...))
	}
	stages := m.declared(w)
	want := m.expected(w, stages)

	res := m.s.exec(w.dir, "git", "dds", "status", "--json")
	if res.code != 0 {
		fail("status fails", "git dds status --json exited with %d: %s", res.code, strings.TrimSpace(res.stderr))
		return m.found(w, op, problems, "")
	}
	var statusText strings.Builder
	states := map[string]string{}
	for _, st := range parseStatus(m.t, res.stdout) {
		states[st.Name] = st.State
		fmt.Fprintf(&statusText, "  %-8s %-9s %.12s\n", st.Name, st.State, st.Signature)
	}
	for _, st := range stages {
		if _, ok := states[st.name]; !ok {
			fail("status disagrees with dds.yaml", "status has no stage %s", st.name)
		}
	}
	if len(states) != len(stages) {
		fail("status disagrees with dds.yaml", "status lists %d stages, dds.yaml declares %d", len(states), len(stages))
	}

	if kind == kindRun {
		// run executes a stage whose signature changed over an edit (only
		// a reused stage keeps it): the edit is gone, rightly.
		for out, d := range w.edited {
			if cur := digest(m.s.path(w.dir + "/" + out)); cur != d && cur == want[out] {
				delete(w.edited, out)
			}
		}
	}
	outputs := map[string]bool{}
	toCompute := map[string]bool{}
	for _, st := range stages {
		state := states[st.name]
		if state == "stale" || state == "remote" {
			toCompute[st.name] = true
		}
		for _, o := range st.outs {
			outputs[o] = true
			cur := ""
			if m.exists(w, o) {
				cur = digest(m.s.path(w.dir + "/" + o))
			}
			prev, seen := w.before[o]
			wasWrong := w.wrong[o]
			w.before[o], w.wrong[o] = cur, cur != "" && cur != want[o]
			before := len(problems)
			m.checkOutput(w, o, st.name, state, cur, want[o], seen && prev == cur, wasWrong, kind, fail)
			if len(problems) > before && cur != "" && cur != want[o] {
				problems[len(problems)-1] += fmt.Sprintf("\n      want %q\n      got  %q", m.texts[want[o]], render(m.s.path(w.dir+"/"+o)))
			}
		}
		if state == "modified" && !slices.ContainsFunc(st.outs, func(o string) bool { _, ok := w.edited[o]; return ok }) {
			fail("modified without an edit", "status calls stage %s modified; the test edited none of its outputs", st.name)
		}
	}
	if kind == kindRun && m.lastCode != 0 && len(w.edited) == 0 {
		fail("run fails", "git dds run exited with %d: %s", m.lastCode, strings.TrimSpace(m.lastErr))
	}

	// Nothing of git dds's is visible to git.
	porcelain := m.quiet(w, "status", "--porcelain", "-uall", "-z")
	for _, entry := range strings.Split(porcelain, "\x00") {
		if len(entry) < 4 {
			continue
		}
		path := entry[3:]
		if under(path, outputs) {
			fail("output visible to git", "git status lists %q: %s", path, strings.TrimSpace(entry[:2]))
		} else if entry[:2] == "??" {
			fail("stray file", "git status lists %q as untracked", path)
		}
	}
	if kind == kindRun || kind == kindSync || kind == kindCheckout {
		tracked := map[string]bool{}
		for _, f := range strings.Split(m.quiet(w, "ls-files", "-z"), "\x00") {
			tracked[f] = true
		}
		root := m.s.path(w.dir)
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			if rel == ".git" {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || tracked[rel] || under(rel, outputs) {
				return nil
			}
			fail("stray file", "%s is in the working tree: not tracked, not a declared output", rel)
			return nil
		})
	}

	// Hook messages agree with status.
	for _, warn := range m.warnings {
		fail("hook warning", "%s", warn)
	}
	if w == m.moved && kind != kindRun {
		// A hook's summary is one line, or two: "promoted N artifacts (…);
		// M to compute", then the stages by name.
		summaries := 0
		afterSummary := false
		for _, line := range strings.Split(m.lastErr, "\n") {
			continues := afterSummary
			afterSummary = false
			if sm := summaryCount.FindStringSubmatch(line); sm != nil {
				summaries++
				afterSummary = true
				if n, _ := strconv.Atoi(sm[1]); n != len(toCompute) {
					fail("message contradicts status", "the hook said %q; status has %d stages to compute", line, len(toCompute))
				}
			}
			if sm := staleNames.FindStringSubmatch(line); sm != nil {
				if !continues {
					summaries++
				}
				names := strings.Split(sm[2], ", ")
				sort.Strings(names)
				var have []string
				for name := range toCompute {
					have = append(have, name)
				}
				sort.Strings(have)
				if !slices.Equal(names, have) {
					fail("message contradicts status", "the hook said %q; status has to compute: %v", line, have)
				}
			}
		}
		if summaries == 0 && len(toCompute) > 0 && strings.Contains(m.lastErr, "git dds:") && !strings.Contains(m.lastErr, "edited by hand") {
			fail("message contradicts status", "the hook said %q; status has to compute: %v", strings.TrimSpace(m.lastErr), keys(toCompute))
		}
		if summaries > 1 {
			fail("several summaries", "one git command printed %d summaries:\n%s", summaries, m.lastErr)
		}
	}
	return m.found(w, op, problems, statusText.String())
}

// render gives a file's bytes, or each file of a folder, named.
func render(path string) string {
	info, err := os.Stat(path)
	if err != nil {
		return "(absent)"
	}
	if !info.IsDir() {
		data, _ := os.ReadFile(path)
		return string(data)
	}
	var b strings.Builder
	_ = filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(path, p)
			data, _ := os.ReadFile(p)
			fmt.Fprintf(&b, "[%s] %s", rel, data)
		}
		return nil
	})
	return b.String()
}

func keys(set map[string]bool) []string {
	var list []string
	for k := range set {
		list = append(list, k)
	}
	sort.Strings(list)
	return list
}

// under reports whether path is one of outs or inside one.
func under(path string, outs map[string]bool) bool {
	for o := range outs {
		if path == o || strings.HasPrefix(path, o+"/") {
			return true
		}
	}
	return false
}

// checkOutput holds one output to the rule. cur and want are digests (""
// for absent); unchanged says the output is as the last check saw it,
// and wasWrong that it was out of step then already.
func (m *model) checkOutput(w *modelTree, out, stage, state, cur, want string, unchanged, wasWrong bool, kind opKind, fail func(class, format string, args ...any)) {
	if edit, ok := w.edited[out]; ok {
		if cur != edit {
			fail("hand edit lost", "%s, edited by hand, was replaced or removed (status: %s)", out, state)
			return
		}
		if state != "modified" && state != "stale" {
			fail("hand edit not reported", "%s was edited by hand; status calls stage %s %s", out, stage, state)
		}
		return
	}
	// A run that failed (on an edit it would not overwrite) skips the
	// stages after it.
	restores := kind == kindSync || kind == kindCheckout || kind == kindRun && m.lastCode == 0
	switch {
	case cur == want:
		// The bytes the working tree's code gives, whatever status says.
	case state == "fresh":
		if cur == "" {
			fail("fresh but absent", "status calls stage %s fresh; %s is absent", stage, out)
		} else {
			fail("fresh but wrong bytes", "status calls stage %s fresh; %s holds other bytes than the working tree's code gives", stage, out)
		}
	case cur == "":
		if state == "cached" && restores {
			fail("not restored", "%s is absent; status says stage %s is cached (the store holds it)", out, stage)
		}
	case kind == kindEdit || kind == kindHookless || kind == kindHandEdit:
		// The test, or a git command that runs no hook, changed the code:
		// the output is out of step, and status does not call it fresh.
	case kind == kindRun && m.lastCode == 0:
		fail("run left wrong bytes", "after a run that exited 0, %s holds other bytes than the working tree's code gives (status: %s)", out, state)
	case !unchanged:
		fail("wrong bytes", "%s was given bytes that are not the working tree's code's (status: %s)", out, state)
	case state == "cached" && restores:
		fail("not restored", "%s holds other bytes than the working tree's code gives; status says stage %s is cached (the store holds the right ones)", out, stage)
	case !wasWrong && restores:
		fail("stale output kept", "%s holds the bytes of the code the working tree left; stage %s is %s, so the output should be absent", out, stage, state)
	case !wasWrong:
		fail("wrong bytes", "%s no longer matches the working tree's code after a git command that does not move it (status: %s)", out, state)
	}
}

// found records the step's problems; it reports whether there were none.
// Problems modelKnownBroken lists are logged, and the campaign goes on in
// a fresh repository, as it does after any problem in
// DDS_MODEL_CONTINUE mode.
func (m *model) found(w *modelTree, op string, problems []string, status string) bool {
	if len(problems) == 0 {
		return true
	}
	transcript := strings.Join(m.transcript, "\n") + "\n"
	if m.settingUp {
		m.t.Fatalf("model: the fresh repository breaks the rule before any step:\n  %s\nstatus:\n%s\n%s", strings.Join(problems, "\n  "), status, transcript)
	}
	var fresh []modelFinding
	for _, p := range problems {
		class, what, _ := strings.Cut(p, ": ")
		_, known := m.cfg.known[op+": "+class]
		if _, all := m.cfg.known["*: "+class]; all {
			known = true
		}
		if !known {
			fresh = append(fresh, modelFinding{Seed: m.seed, Step: m.step, Op: op, Class: class, What: what, Transcript: transcript})
		}
	}
	if len(fresh) == 0 {
		m.known++
		if !m.cfg.quiet {
			m.t.Logf("model: step %d (%s in %s), known broken: %s; going on in a fresh repository", m.step, op, w.dir, strings.Join(problems, "; "))
		}
		m.setUp()
		return true
	}
	m.findings = append(m.findings, fresh...)
	if m.cfg.quiet {
		m.failed = &fresh[0]
		return false
	}
	msg := fmt.Sprintf("model: seed %d, step %d (%s in %s) breaks the rule:\n  %s\nstatus:\n%s\nthe steps so far, as a shell transcript (DDS_MODEL_MINIMIZE=1 cuts it down):\n%s",
		m.seed, m.step, op, w.dir, strings.Join(problems, "\n  "), status, transcript)
	if m.cfg.keep != "" {
		dir := filepath.Join(m.cfg.keep, fmt.Sprintf("seed-%d-step-%d", m.seed, m.step))
		if err := os.MkdirAll(dir, 0o755); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "transcript.sh"), []byte(transcript), 0o755)
			_ = exec.Command("cp", "-a", m.s.path(m.repo), dir).Run()
		}
	}
	if m.cfg.stopAtFirst {
		m.failed = &fresh[0]
		m.t.Error(msg)
		return false
	}
	m.t.Log(msg)
	m.setUp()
	return false
}

// modelReport is what DDS_MODEL_REPORT receives.
type modelReport struct {
	Seed    uint64         `json:"seed"`
	Steps   int            `json:"steps"`
	Seconds float64        `json:"seconds"`
	Ops     map[string]int `json:"ops"`
	Known   int            `json:"known_broken"`
	// MidWarnings counts the hook warnings printed while a conflict was
	// being resolved.
	MidWarnings int            `json:"warnings_during_conflicts"`
	CutOffs     int            `json:"cut_offs"`
	Findings    []modelFinding `json:"findings"`
}

func (m *model) report(took time.Duration) {
	steps := m.step - 1
	names := make([]string, 0, len(m.counts))
	for name := range m.counts {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "model: seed %d, %d steps in %s (%s a step), %d findings, %d known broken; ops done:\n", m.seed, steps, took.Round(time.Second), (took / time.Duration(max(steps, 1))).Round(time.Millisecond), len(m.findings), m.known)
	for _, name := range names {
		fmt.Fprintf(&b, "  %-22s %d\n", name, m.counts[name])
	}
	classes := map[string]int{}
	for _, f := range m.findings {
		classes[f.Op+": "+f.Class]++
	}
	for _, c := range keys(boolSet(classes)) {
		fmt.Fprintf(&b, "  found %-50s %d\n", c, classes[c])
	}
	fmt.Fprintf(&b, "  hook warnings while a conflict was being resolved: %d\n", m.midWarnings)
	fmt.Fprintf(&b, "  stages git dds run cut off: %d\n", m.cutOffs)
	m.t.Log(b.String())
	if !m.cfg.stopAtFirst && len(m.findings) > 0 {
		m.t.Errorf("model: %d findings (the log above has each one's transcript)", len(m.findings))
	}
	if path := os.Getenv("DDS_MODEL_REPORT"); path != "" {
		rep := modelReport{Seed: m.seed, Steps: steps, Seconds: took.Seconds(), Ops: m.counts, Known: m.known, MidWarnings: m.midWarnings, CutOffs: m.cutOffs, Findings: m.findings}
		data, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = os.WriteFile(path, append(data, '\n'), 0o644)
		}
		if err != nil {
			m.t.Errorf("writing DDS_MODEL_REPORT: %v", err)
		}
	}
}

func boolSet(m map[string]int) map[string]bool {
	set := map[string]bool{}
	for k := range m {
		set[k] = true
	}
	return set
}
