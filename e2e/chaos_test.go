package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chaosPipeline writes a few MiB per variant, in files and folders, with
// markers around each command so that the campaign can tell where a kill
// landed. params.yaml's k differs between the branches main and alt; side
// does not read it, so the branches share its computation.
const chaosPipeline = `stages:
  gen:
    cmd: echo "start gen" >> ../phase.log && mkdir -p out && K=$(sed -n 's/^k:.//p' params.yaml) && yes "gen row, k=$K" | head -c 1572864 > out/gen.bin && echo "end gen" >> ../phase.log
    params: {params.yaml: [k]}
    outs: [out/gen.bin]
  shards:
    cmd: echo "start shards" >> ../phase.log && rm -rf out/shards && mkdir -p out/shards/empty && split -b 300000 out/gen.bin out/shards/part- && sleep 0.1 && echo "end shards" >> ../phase.log
    deps: [out/gen.bin]
    outs: [out/shards]
  side:
    cmd: echo "start side" >> ../phase.log && mkdir -p out && yes "side row" | head -c 2097152 > out/side.bin && echo "end side" >> ../phase.log
    outs: [out/side.bin]
  stats:
    cmd: echo "start stats" >> ../phase.log && ls out/shards | wc -l > out/stats.txt && wc -c < out/side.bin >> out/stats.txt && sleep 0.1 && echo "end stats" >> ../phase.log
    deps: [out/shards, out/side.bin]
    outs: [out/stats.txt]
  model:
    cmd: echo "start model" >> ../phase.log && rm -rf out/model && mkdir -p out/model/sub && K=$(sed -n 's/^k:.//p' params.yaml) && yes "weight $K" | head -c 1048576 > out/model/weights.bin && cp out/stats.txt out/model/sub/stats.txt && echo "end model" >> ../phase.log
    deps: [out/stats.txt]
    params: {params.yaml: [k]}
    outs: [out/model]
`

var chaosVariants = map[string]string{"main": "k: 1\n", "alt": "k: 2\n"}

// chaosOp is one command the campaign kills.
type chaosOp struct {
	name   string
	weight int
	// prepare readies the repository; it is not killed.
	prepare func(c *chaosCampaign)
	args    [][]string // git dds commands started together
}

var chaosOps = []chaosOp{
	{name: "run", weight: 5, prepare: (*chaosCampaign).forgetSometimes, args: [][]string{{"run"}}},
	{name: "run -j 3", weight: 2, prepare: (*chaosCampaign).forgetSometimes, args: [][]string{{"run", "-j", "3"}}},
	{name: "checkout", weight: 2, prepare: (*chaosCampaign).removeSomeOutputs, args: [][]string{{"checkout"}}},
	{name: "gc --keep current", weight: 2, args: [][]string{{"gc", "--keep", "current"}}},
	{name: "run beside gc", weight: 1, args: [][]string{{"run"}, {"gc", "--keep", "current"}}},
	{name: "push", weight: 2, prepare: (*chaosCampaign).freshRemote, args: [][]string{{"push", "origin", "--all"}}},
	{name: "pull", weight: 2, prepare: (*chaosCampaign).pullFromFull, args: [][]string{{"pull", "origin"}}},
}

// chaosCampaign kills git dds at seeded random moments in a throwaway
// repository and checks, after every kill, that nothing it left behind is
// wrong: fsck is clean, the index opens, an output status calls fresh has
// the bytes a clean run gives, and the next run completes.
type chaosCampaign struct {
	t   *testing.T
	s   *sandbox
	rng *rand.Rand
	// want maps a signature and an output path to the digest a clean run
	// in another repository gave it.
	want map[string]map[string]string
	// took is how long each op lasted in the reference repository, with
	// every stage to execute or every output to restore: kill moments are
	// drawn across that length.
	took map[string]time.Duration

	trials   int
	phases   map[string]int
	problems []string
	// remote is the folder remote the current push trial fills, empty
	// before the first.
	remote string
	// tempsBefore are the working tree's temporary names before an op.
	tempsBefore map[string]bool
}

// TestChaos runs CHAOS_TRIALS trials (20 by default) with seed CHAOS_SEED
// (drawn from the clock by default, and logged). CHAOS_REPORT names a file
// to write the figures to, as JSON.
func TestChaos(t *testing.T) {
	trials := 20
	if v := os.Getenv("CHAOS_TRIALS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CHAOS_TRIALS is %q; it takes a number of trials", v)
		}
		trials = n
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("CHAOS_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED is %q; it takes a number", v)
		}
		seed = n
	}
	t.Logf("chaos: %d trials, seed %d (CHAOS_SEED=%d draws the same moments)", trials, seed, seed)

	c := &chaosCampaign{
		t:      t,
		s:      newSandbox(t),
		rng:    rand.New(rand.NewPCG(seed, seed>>1|1)),
		want:   map[string]map[string]string{},
		took:   map[string]time.Duration{},
		phases: map[string]int{},
	}
	c.reference()
	c.setUp("chaos")
	for i := 0; i < trials; i++ {
		c.trial(i)
	}
	c.report(seed)
}

// setUp makes a repository with the branches main and alt, nothing
// computed.
func (c *chaosCampaign) setUp(repo string) {
	s := c.s
	s.write(repo+"/dds.yaml", chaosPipeline)
	s.write(repo+"/params.yaml", chaosVariants["main"])
	s.must(repo, "git", "init", "-q")
	s.must(repo, "git", "add", "-A")
	// run lists the outputs in info/exclude, which no commit carries.
	s.must(repo, "git", "dds", "run", "--dry-run")
	s.must(repo, "git", "add", "-A")
	s.must(repo, "git", "commit", "-q", "-m", "pipeline, k=1")
	s.must(repo, "git", "switch", "-q", "-c", "alt")
	s.write(repo+"/params.yaml", chaosVariants["alt"])
	s.must(repo, "git", "commit", "-q", "-am", "k=2")
	s.must(repo, "git", "switch", "-q", "main")
	// Two remotes and no default: run, status and checkout stay local, and
	// push and pull name the one they use.
	s.must(repo, "git", "config", "dds.remote.spare.url", "file://"+filepath.ToSlash(s.path("spare-remote")))
	s.must(repo, "git", "config", "dds.remote.origin.url", "file://"+filepath.ToSlash(s.path("full-remote")))
}

// reference computes both variants in a repository of their own and keeps
// the digest of every output, by signature. It times each op on the way,
// so that kill moments are drawn across the whole of an op that has work
// to do.
func (c *chaosCampaign) reference() {
	c.setUp("reference")
	timed := func(ops []string, args ...string) {
		started := time.Now()
		c.s.must("reference", "git", append([]string{"dds"}, args...)...)
		for _, op := range ops {
			c.took[op] = max(c.took[op], time.Since(started))
		}
	}
	for branch := range chaosVariants {
		c.s.must("reference", "git", "switch", "-q", branch)
		timed([]string{"run", "run -j 3", "run beside gc"}, "run")
		if err := os.RemoveAll(c.s.path("reference/out")); err != nil {
			c.t.Fatal(err)
		}
		timed([]string{"checkout"}, "checkout")
		for _, st := range c.status("reference") {
			if st.State != "fresh" {
				c.t.Fatalf("the reference run left %s %s", st.Name, st.State)
			}
			c.want[st.Signature] = map[string]string{}
			for _, out := range st.Outputs {
				c.want[st.Signature][out] = digest(c.s.path("reference/" + out))
			}
		}
	}
	// Every computation goes to the remote pull trials restore from.
	timed([]string{"push"}, "push", "origin", "--all")
	timed([]string{"gc --keep current"}, "gc", "--keep", "current")
	for _, p := range []string{"reference/.git/dds/index", "reference/.git/dds/objects", "reference/out"} {
		if err := os.RemoveAll(c.s.path(p)); err != nil {
			c.t.Fatal(err)
		}
	}
	timed([]string{"pull"}, "pull", "origin")
	// A verifier clone fetches what a killed push left, checking it.
	c.s.must("", "git", "clone", "-q", "reference", "verifier")
	c.s.must("verifier", "git", "checkout", "-q", "--detach")
	for branch := range chaosVariants {
		c.s.must("verifier", "git", "branch", "-q", "-f", branch, "origin/"+branch)
	}
}

type stageStatus struct {
	Name      string   `json:"name"`
	Signature string   `json:"signature"`
	State     string   `json:"state"`
	Outputs   []string `json:"outputs"`
}

func (c *chaosCampaign) status(repo string) []stageStatus {
	c.t.Helper()
	return parseStatus(c.t, c.s.must(repo, "git", "dds", "status", "--json"))
}

func parseStatus(t *testing.T, out string) []stageStatus {
	t.Helper()
	var doc struct {
		Stages []stageStatus `json:"stages"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("status --json: %v", err)
	}
	return doc.Stages
}

// trial switches to a random variant, starts a random op, kills its
// process groups at a random moment, and checks what is left.
func (c *chaosCampaign) trial(i int) {
	c.trials++
	variants := []string{"main", "alt"}
	c.s.must("chaos", "git", "switch", "-q", variants[c.rng.IntN(len(variants))])
	c.s.must("chaos", "git", "config", "dds.link", []string{"copy", "hardlink"}[c.rng.IntN(2)])
	// Flushing guards against power loss, not kills: half the trials skip
	// it, which makes them quicker.
	c.s.must("chaos", "git", "config", "dds.fsync", []string{"true", "false"}[c.rng.IntN(2)])
	op := c.pickOp()
	if op.prepare != nil {
		op.prepare(c)
	}
	if err := os.WriteFile(c.s.path("phase.log"), nil, 0o644); err != nil {
		c.t.Fatal(err)
	}
	c.tempsBefore = c.worktreeTemps()

	estimate := c.took[op.name]
	delay := time.Duration(c.rng.Int64N(int64(estimate) + 1))
	cmds := make([]*exec.Cmd, len(op.args))
	for k, args := range op.args {
		cmds[k] = c.s.command("chaos", "git", append([]string{"dds"}, args...)...)
		cmds[k].SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmds[k].Start(); err != nil {
			c.t.Fatal(err)
		}
	}
	exited := make(chan error, len(cmds))
	for _, cmd := range cmds {
		go func() { exited <- cmd.Wait() }()
	}
	timer := time.NewTimer(delay)
	phase := ""
	waited := 0
	select {
	case <-timer.C:
		phase = c.phase(op)
		for _, cmd := range cmds {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	case err := <-exited:
		// A lone op finished first; with two, the other is killed now.
		waited++
		if err != nil {
			c.problem(i, op, fmt.Sprintf("it failed on its own: %v", err))
		}
		if len(cmds) == 1 {
			phase = "completed before the kill"
		} else {
			phase = c.phase(op)
			for _, cmd := range cmds {
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}
		}
	}
	timer.Stop()
	for ; waited < len(cmds); waited++ {
		if err := <-exited; err != nil && !isKilled(err) {
			c.problem(i, op, fmt.Sprintf("it failed on its own: %v", err))
		}
	}
	c.phases[op.name+": "+phase]++
	c.t.Logf("trial %d: %s, kill drawn at %s of ~%s: %s", i, op.name, delay.Round(time.Millisecond), estimate.Round(time.Millisecond), phase)
	c.check(i, op)
}

func isKilled(err error) bool {
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return false
	}
	ws, ok := exitErr.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

func (c *chaosCampaign) pickOp() chaosOp {
	total := 0
	for _, op := range chaosOps {
		total += op.weight
	}
	n := c.rng.IntN(total)
	for _, op := range chaosOps {
		if n < op.weight {
			return op
		}
		n -= op.weight
	}
	return chaosOps[0]
}

// forgetSometimes makes most runs have stages to execute: it drops the
// computations of the branch the working tree is on, the way a user's gc
// on the other branch would, or the whole index.
func (c *chaosCampaign) forgetSometimes() {
	switch c.rng.IntN(5) {
	case 0:
		return
	case 1, 2:
		if err := os.RemoveAll(c.s.path("chaos/.git/dds/index")); err != nil {
			c.t.Fatal(err)
		}
		return
	}
	c.forgetBranch()
}

// forgetBranch drops the computations of the branch the working tree is
// on, records and objects alike, by a gc from the other branch.
func (c *chaosCampaign) forgetBranch() {
	branch := strings.TrimSpace(c.s.must("chaos", "git", "branch", "--show-current"))
	other := map[string]string{"main": "alt", "alt": "main"}[branch]
	c.s.must("chaos", "git", "switch", "-q", other)
	// What the working tree holds is kept by gc: the other branch's outputs
	// take its place first.
	c.s.exec("chaos", "git", "dds", "checkout", "--force")
	c.s.must("chaos", "git", "dds", "gc", "--keep", "current")
	c.s.must("chaos", "git", "switch", "-q", branch)
}

// removeSomeOutputs deletes outputs from the working tree, for checkout
// to restore.
func (c *chaosCampaign) removeSomeOutputs() {
	for _, out := range []string{"out/gen.bin", "out/shards", "out/side.bin", "out/stats.txt", "out/model"} {
		if c.rng.IntN(2) == 0 {
			if err := os.RemoveAll(c.s.path("chaos/" + out)); err != nil {
				c.t.Fatal(err)
			}
		}
	}
}

// freshRemote points origin at an empty folder, with the branch the
// working tree is on computed, so that the push has everything to send.
func (c *chaosCampaign) freshRemote() {
	c.remote = fmt.Sprintf("push-remote-%d", c.trials)
	// The folder exists, as a team's shared folder would: a push killed
	// before its first write leaves an empty remote, not a missing one,
	// which every command but a push refuses.
	if err := os.MkdirAll(c.s.path(c.remote), 0o755); err != nil {
		c.t.Fatal(err)
	}
	c.s.must("chaos", "git", "config", "dds.remote.origin.url", "file://"+filepath.ToSlash(c.s.path(c.remote)))
	c.s.must("chaos", "git", "dds", "run")
}

// pullFromFull points origin at the remote that holds every computation
// and makes the clone lack the branch's own, so that the pull has them to
// bring: dropped by a gc, or never there, as in a fresh clone (no index,
// no objects, no outputs: an output git dds has no note of placing is
// taken for the user's own, and kept).
func (c *chaosCampaign) pullFromFull() {
	c.s.must("chaos", "git", "config", "dds.remote.origin.url", "file://"+filepath.ToSlash(c.s.path("full-remote")))
	if c.rng.IntN(2) == 0 {
		c.forgetBranch()
		c.removeSomeOutputs()
		return
	}
	for _, p := range []string{"chaos/.git/dds/index", "chaos/.git/dds/objects", "chaos/out"} {
		if err := os.RemoveAll(c.s.path(p)); err != nil {
			c.t.Fatal(err)
		}
	}
}

// checkRemote is what must hold of a remote a push was killed in: every
// record it shows names objects that are there, whole (a fresh clone
// fetches them all, checking each against its id), and the next push
// completes.
func (c *chaosCampaign) checkRemote(i int, op chaosOp) {
	s := c.s
	url := "file://" + filepath.ToSlash(s.path(c.remote))
	if err := os.RemoveAll(s.path("verifier/.git/dds")); err != nil {
		c.t.Fatal(err)
	}
	s.must("verifier", "git", "config", "dds.remote.origin.url", url)
	if res := s.exec("verifier", "git", "dds", "fetch", "--all"); res.code != 0 {
		c.problem(i, op, "what the killed push left in the remote does not fetch:\n"+res.stdout+res.stderr)
	}
	if res := s.exec("chaos", "git", "dds", "push", "origin", "--all"); res.code != 0 {
		c.problem(i, op, "the next push did not complete:\n"+res.stdout+res.stderr)
	}
}

// phase says where the op stood the moment it was killed, from the stage
// markers and the temporary files of the store and the working tree.
func (c *chaosCampaign) phase(op chaosOp) string {
	switch op.name {
	case "push":
		uploading, _ := os.ReadDir(c.s.path(c.remote + "/tmp"))
		records, _ := os.ReadDir(c.s.path(c.remote + "/records"))
		switch {
		case len(records) > 0:
			return "uploading records"
		case len(uploading) > 0:
			return "uploading objects"
		}
		return "looking up the remote"
	case "pull":
		if len(storeTemps(c.s, "chaos")) > 0 {
			return "downloading objects"
		}
	}
	if !strings.HasPrefix(op.name, "run") {
		for tmp := range c.worktreeTemps() {
			if !c.tempsBefore[tmp] {
				return "placing outputs"
			}
		}
		switch op.name {
		case "checkout":
			return "comparing outputs, or noting them"
		case "pull":
			return "looking up the remote, or noting outputs"
		}
		return "deciding or deleting"
	}
	log, _ := os.ReadFile(c.s.path("phase.log"))
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	last := lines[len(lines)-1]
	storing := storeTemps(c.s, "chaos")
	switch {
	case strings.HasPrefix(last, "start "):
		return "executing a stage"
	case strings.HasPrefix(last, "end ") && len(storing) > 0:
		return "storing outputs"
	case strings.HasPrefix(last, "end "):
		return "recording, or between stages"
	default:
		return "before any stage"
	}
}

// worktreeTemps lists the temporary names outputs are built under beside
// their place in the working tree.
func (c *chaosCampaign) worktreeTemps() map[string]bool {
	tmps, _ := filepath.Glob(c.s.path("chaos/out/.*.dds-tmp-*"))
	set := make(map[string]bool, len(tmps))
	for _, tmp := range tmps {
		set[tmp] = true
	}
	return set
}

// check is what must hold after every kill.
func (c *chaosCampaign) check(i int, op chaosOp) {
	s := c.s
	if op.name == "push" {
		c.checkRemote(i, op)
	}
	if op.name == "pull" {
		if res := s.exec("chaos", "git", "dds", "pull", "origin"); res.code != 0 {
			c.problem(i, op, "the next pull did not complete:\n"+res.stdout+res.stderr)
		}
	}
	if res := s.exec("chaos", "git", "dds", "fsck", "--json"); res.code != 0 {
		c.problem(i, op, "fsck is not clean:\n"+res.stdout+res.stderr)
		s.exec("chaos", "git", "dds", "fsck", "--repair")
	}
	res := s.exec("chaos", "git", "dds", "status", "--json")
	if res.code != 0 {
		c.problem(i, op, "the index does not open:\n"+res.stderr)
		return
	}
	c.checkFresh(i, op, "after the kill", parseStatus(c.t, res.stdout))
	if res := s.exec("chaos", "git", "dds", "run"); res.code != 0 {
		c.problem(i, op, "the next run did not complete:\n"+res.stdout+res.stderr)
		return
	}
	stages := c.status("chaos")
	for _, st := range stages {
		if st.State != "fresh" {
			c.problem(i, op, fmt.Sprintf("after the next run, stage %s is %s", st.Name, st.State))
		}
	}
	c.checkFresh(i, op, "after the next run", stages)
}

// checkFresh compares every output status calls fresh with the reference.
func (c *chaosCampaign) checkFresh(i int, op chaosOp, when string, stages []stageStatus) {
	for _, st := range stages {
		if st.State != "fresh" {
			continue
		}
		want, known := c.want[st.Signature]
		if !known {
			c.problem(i, op, fmt.Sprintf("%s, stage %s has signature %.12s, which the reference never computed", when, st.Name, st.Signature))
			continue
		}
		for _, out := range st.Outputs {
			if got := digest(c.s.path("chaos/" + out)); got != want[out] {
				c.problem(i, op, fmt.Sprintf("%s, %s is fresh but its bytes differ from a clean run's", when, out))
			}
		}
	}
}

// problem reports what went wrong. With CHAOS_KEEP set to a folder, the
// store and index as the kill left them are copied there, for a post
// mortem.
func (c *chaosCampaign) problem(i int, op chaosOp, what string) {
	msg := fmt.Sprintf("trial %d (%s): %s", i, op.name, what)
	c.problems = append(c.problems, msg)
	c.t.Error(msg)
	if keep := os.Getenv("CHAOS_KEEP"); keep != "" {
		dest := filepath.Join(keep, fmt.Sprintf("trial-%d", i))
		if out, err := exec.Command("cp", "-a", c.s.path("chaos/.git/dds"), dest).CombinedOutput(); err != nil {
			c.t.Logf("keeping the store of trial %d: %v: %s", i, err, out)
		}
	}
}

// chaosReport is what CHAOS_REPORT receives.
type chaosReport struct {
	Seed      uint64         `json:"seed"`
	Trials    int            `json:"trials"`
	Phases    map[string]int `json:"phases"`
	Problems  []string       `json:"problems"`
	Leftovers chaosLeftovers `json:"leftovers"`
}

// chaosLeftovers counts the temporary files the kills left at the end.
type chaosLeftovers struct {
	Store    int `json:"store"`
	WorkTree int `json:"work_tree"`
}

func (c *chaosCampaign) report(seed uint64) {
	names := make([]string, 0, len(c.phases))
	for name := range c.phases {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "chaos: %d trials, %d problems; where the kills landed:\n", c.trials, len(c.problems))
	for _, name := range names {
		fmt.Fprintf(&b, "  %-55s %d\n", name, c.phases[name])
	}
	leftovers := chaosLeftovers{Store: len(storeTemps(c.s, "chaos")), WorkTree: len(c.worktreeTemps())}
	fmt.Fprintf(&b, "left behind by the kills: %d temporary files in the store, %d beside outputs\n", leftovers.Store, leftovers.WorkTree)
	c.t.Log(b.String())
	if path := os.Getenv("CHAOS_REPORT"); path != "" {
		rep := chaosReport{Seed: seed, Trials: c.trials, Phases: c.phases, Problems: append([]string{}, c.problems...), Leftovers: leftovers}
		data, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = os.WriteFile(path, append(data, '\n'), 0o644)
		}
		if err != nil {
			c.t.Errorf("writing CHAOS_REPORT: %v", err)
		}
	}
}

// digest hashes a file's bytes, or a folder's paths, modes and bytes.
func digest(path string) string {
	h := sha256.New()
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(path, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v\n", rel, info.Mode().Type())
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			fmt.Fprintf(h, "%x\n", sum)
		}
		return nil
	})
	if err != nil {
		return "unreadable: " + err.Error()
	}
	return hex.EncodeToString(h.Sum(nil))
}
