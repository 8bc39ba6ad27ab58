package workspace

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/git-dds/git-dds/internal/audit"
	"github.com/git-dds/git-dds/internal/config"
	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/interrupt"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/remote"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/ui"
)

// ErrFailed means at least one stage failed; each failure was reported.
var ErrFailed = errors.New("stages failed")

// ErrInterrupted means a signal (Ctrl-C, SIGTERM) stopped the run: each
// stage it stopped was reported, its outputs removed, nothing recorded.
var ErrInterrupted = errors.New("interrupted")

// Action is what run did with a stage.
type Action string

const (
	Executed Action = "executed"
	Reused   Action = "reused"
	Pulled   Action = "pulled"
	Failed   Action = "failed"
	Skipped  Action = "skipped" // an upstream stage failed
	// CutOff is a stage that had to run but whose upstream stages wrote
	// the same bytes as for an earlier computation: that one's outputs
	// were recorded under the new signature (early cut-off).
	CutOff Action = "cut off"
	// Interrupted is a stage that a signal stopped: nothing recorded.
	Interrupted Action = "interrupted"
	// WouldExecute, WouldReuse and WouldPull answer --dry-run.
	WouldExecute Action = "execute"
	WouldReuse   Action = "reuse"
	WouldPull    Action = "pull"
)

// Options select and shape a run.
type Options struct {
	Stages []string // the stages to bring up to date, with what they need; all when empty
	Jobs   int      // independent stages at once
	DryRun bool
	// Verbose prints a line when a stage starts and when it ends, on
	// stderr: the same lines on a terminal and in a CI log.
	Verbose bool
	// Audit traces each executed stage for the files it reads that its
	// signature does not cover: warn says so, strict fails the stage.
	Audit config.Audit
	// AuditVerbose also summarizes, for each audited stage, what it read
	// outside the repository and the programs it ran.
	AuditVerbose bool

	tracer audit.Tracer // the back end of an audited run, found once
}

// StageResult is one row of `git dds run --json`.
type StageResult struct {
	Name      string  `json:"name"`
	Signature string  `json:"signature"`
	Action    Action  `json:"action"`
	Seconds   float64 `json:"seconds"`
	Error     string  `json:"error,omitempty"`
	// Undeclared lists, for an audited stage, what it read that its
	// signature does not cover.
	Undeclared []signature.Undeclared `json:"undeclared,omitempty"`
	// Reason says why a stage was cut off: "clean wrote the same bytes".
	Reason string `json:"reason,omitempty"`
	// CutOff, with --dry-run, says whether a stage that would execute may
	// be cut off instead (CutOffReady, CutOffPossible), as status says.
	CutOff string `json:"cut_off,omitempty"`
	// Estimate is the last computation of the stage, for --dry-run.
	Estimate *signature.Record `json:"-"`
	// EstimatedSeconds and EstimatedBytes, with --dry-run, are what the
	// last computation of a stage that would execute took and wrote; absent
	// when the stage was never computed.
	EstimatedSeconds *float64 `json:"estimated_seconds,omitempty"`
	EstimatedBytes   *int64   `json:"estimated_bytes,omitempty"`
}

// Result is every selected stage, in topological order.
type Result struct {
	Stages []StageResult `json:"stages"`
}

type job struct {
	view     namespace.StageView
	record   *signature.Record
	placed   map[string]index.Placed // what git dds last put at each output path
	upstream []*job
	done     chan struct{}
	ok       bool
	result   StageResult
}

// Run brings the selected stages of view up to date: a recorded signature
// is reused (materialized), any other is executed, in DAG order with
// opts.Jobs stages at once. A failing stage stops its dependents only.
func (w *Workspace) Run(ctx context.Context, view *namespace.View, opts Options) (*Result, error) {
	selected, err := selectStages(view.Pipeline, opts.Stages)
	if err != nil {
		return nil, err
	}
	if opts.DryRun {
		err = w.syncExcludeOf(ctx, view, view.Pipeline.Outs())
	} else {
		// Outputs dds.yaml no longer declares go before any runs.
		_, err = w.TidyAll(ctx, view, nil)
	}
	if err != nil {
		return nil, err
	}
	jobs, err := w.plan(ctx, view, selected)
	if err != nil {
		return nil, err
	}
	if opts.DryRun {
		return w.dryRun(ctx, jobs)
	}
	if err := w.checkWritable(jobs); err != nil {
		return nil, err
	}
	if opts.Jobs < 1 {
		opts.Jobs = 1
	}
	opts.tracer = w.findTracer(ctx, opts.Audit, opts.AuditVerbose)
	sigs := make(map[string]string, len(view.Stages))
	for _, sv := range view.Stages {
		sigs[sv.Stage.Name] = sv.Signature
	}
	notes := &placedNotes{}
	slots := make(chan struct{}, opts.Jobs)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(j.done)
			for _, up := range j.upstream {
				<-up.done
				if !up.ok {
					j.result = StageResult{Name: j.view.Stage.Name, Signature: j.view.Signature, Action: Skipped,
						Error: fmt.Sprintf("not run: upstream stage %s failed", up.view.Stage.Name)}
					return
				}
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				j.result = StageResult{Name: j.view.Stage.Name, Signature: j.view.Signature, Action: Skipped, Error: ctx.Err().Error()}
				return
			}
			defer func() { <-slots }()
			j.result, j.ok = w.runStage(ctx, view, j, sigs, notes, opts)
		}()
	}
	wg.Wait()
	if ie := interrupt.Of(ctx); ie != nil {
		return w.interrupted(jobs, ie)
	}
	// What reused stages placed is remembered in one visit to the index. A
	// crash before it loses nothing: an output whose content is right needs
	// no note to be fresh.
	if err := w.notePlacedAll(ctx, notes.take()); err != nil {
		return nil, err
	}

	res := &Result{Stages: make([]StageResult, 0, len(jobs))}
	failed := false
	for _, j := range jobs {
		res.Stages = append(res.Stages, j.result)
		failed = failed || !j.ok
	}
	if failed {
		return res, ErrFailed
	}
	return res, nil
}

// interrupted is the result of a run that a signal stopped: ErrInterrupted
// when a stage said so, the interruption itself when none was under way
// (the caller then says it).
func (w *Workspace) interrupted(jobs []*job, ie *interrupt.Error) (*Result, error) {
	res := &Result{Stages: make([]StageResult, 0, len(jobs))}
	said := false
	for _, j := range jobs {
		res.Stages = append(res.Stages, j.result)
		said = said || j.result.Action == Interrupted
	}
	if said {
		return res, ErrInterrupted
	}
	return res, ie
}

// checkWritable fails before any stage executes when one has to and its
// outputs could not be stored: the computation would be lost.
func (w *Workspace) checkWritable(jobs []*job) error {
	for _, j := range jobs {
		if j.record != nil {
			continue
		}
		if err := w.Store.CheckWritable(); err != nil {
			if index.IsNotWritable(err) {
				return index.NotWritable(w.Dir, err)
			}
			return fmt.Errorf("the store in %s: %w", w.Dir, err)
		}
		return nil
	}
	return nil
}

func selectStages(p *pipeline.Pipeline, names []string) ([]*pipeline.Stage, error) {
	if len(names) == 0 {
		return p.Stages, nil
	}
	// A template's name stands for all its instances, as in DVC.
	var expanded []string
	for _, n := range names {
		if p.Stage(n) != nil {
			expanded = append(expanded, n)
			continue
		}
		instances := p.Instances(n)
		if len(instances) == 0 {
			return nil, &UnknownStageError{Name: n}
		}
		expanded = append(expanded, instances...)
	}
	return p.Closure(expanded...), nil
}

// UnknownStageError names a stage that dds.yaml does not declare.
type UnknownStageError struct{ Name string }

func (e *UnknownStageError) Error() string {
	return fmt.Sprintf("no stage %q in %s; git dds status lists the stages", e.Name, pipeline.FileName)
}

// plan looks up every selected signature in one read-only visit to the
// index.
func (w *Workspace) plan(ctx context.Context, view *namespace.View, selected []*pipeline.Stage) ([]*job, error) {
	byName := make(map[string]*job, len(selected))
	jobs := make([]*job, 0, len(selected))
	err := w.WithIndexRead(ctx, func(ix *index.Index) error {
		for _, st := range selected {
			sv, _ := view.Stage(st.Name)
			j := &job{view: sv, done: make(chan struct{})}
			placedAt, err := w.loadPlaced(ix, st.Outs)
			if err != nil {
				return err
			}
			j.placed = placedAt
			rec, ok, err := ix.Get(sv.Signature)
			if err != nil {
				return err
			}
			// The cheap check, as status makes: a run with nothing to do
			// must cost what a status does, and agree with it.
			if ok && w.holdsCheaply(ctx, rec) {
				j.record = rec
			} else if last, found, err := ix.Last(st.Name); err != nil {
				return err
			} else if found {
				j.result.Estimate = last
			}
			for _, up := range view.Pipeline.Upstream(st) {
				if uj, ok := byName[up.Name]; ok {
					j.upstream = append(j.upstream, uj)
				}
			}
			byName[st.Name] = j
			jobs = append(jobs, j)
		}
		return nil
	})
	return jobs, err
}

func (w *Workspace) dryRun(ctx context.Context, jobs []*job) (*Result, error) {
	inRemote := map[string]bool{}
	if r := w.liveRemote(); r != nil {
		var sigs []string
		for _, j := range jobs {
			if j.record == nil {
				sigs = append(sigs, j.view.Signature)
			}
		}
		var err error
		if inRemote, err = r.Present(ctx, w.Local(), sigs); err != nil {
			return nil, err
		}
	}
	res := &Result{Stages: make([]StageResult, 0, len(jobs))}
	for _, j := range jobs {
		r := StageResult{Name: j.view.Stage.Name, Signature: j.view.Signature, Action: WouldExecute, Estimate: j.result.Estimate}
		if j.record != nil {
			r.Action = WouldReuse
		} else if inRemote[j.view.Signature] {
			r.Action = WouldPull
		} else if last := r.Estimate; last != nil {
			seconds := last.Duration.Seconds()
			bytes := last.Written()
			r.EstimatedSeconds, r.EstimatedBytes = &seconds, &bytes
		}
		res.Stages = append(res.Stages, r)
	}
	// The stages that would execute and that run may cut off instead, as
	// status tells them; the estimates still count them.
	err := w.WithIndexRead(ctx, func(ix *index.Index) error {
		for i, j := range jobs {
			if res.Stages[i].Action != WouldExecute {
				continue
			}
			hint, err := w.cutOffHint(ctx, ix, j.view, j.result.Estimate)
			if err != nil {
				return err
			}
			res.Stages[i].CutOff = hint
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// runStage reuses or executes one stage whose upstream stages are done.
func (w *Workspace) runStage(ctx context.Context, view *namespace.View, j *job, sigs map[string]string, notes *placedNotes, opts Options) (StageResult, bool) {
	st := j.view.Stage
	res := StageResult{Name: st.Name, Signature: j.view.Signature}
	fail := func(err error) (StageResult, bool) {
		if interrupt.Of(ctx) != nil {
			// Whatever failed, it failed because of the signal: one
			// line says so, not the error it caused.
			res.Action = Interrupted
			res.Error = ErrInterrupted.Error()
			fmt.Fprintf(w.Stderr, "git dds: interrupted: %s (nothing recorded)\n", st.Name)
			return res, false
		}
		res.Action = Failed
		res.Error = err.Error()
		fmt.Fprintf(w.Stderr, "git dds: %v\n", err)
		return res, false
	}
	if j.record != nil {
		if err := w.reuse(ctx, st, j.record, j.placed, notes); err != nil {
			return fail(err)
		}
		res.Action = Reused
		w.progress(opts, "%s: reused (%s)", st.Name, ui.ShortID(j.view.Signature))
		return res, true
	}

	lock, err := w.lockSignature(ctx, j.view.Signature, func(pid int) {
		fmt.Fprintf(w.Stderr, "git dds: waiting for another git dds (pid %d) computing stage %s...\n", pid, st.Name)
	})
	if err != nil {
		return fail(err)
	}
	defer lock.unlock()

	// Another process may have recorded it since we planned: its lock says
	// so, which spares every other stage a visit to the index.
	if lock.recordedByOther {
		var rec *signature.Record
		if err := w.WithIndex(ctx, func(ix *index.Index) error {
			r, ok, err := ix.Get(j.view.Signature)
			if ok && w.holdsCheaply(ctx, r) {
				rec = r
			}
			return err
		}); err != nil {
			return fail(err)
		}
		if rec != nil {
			if err := w.reuse(ctx, st, rec, j.placed, notes); err != nil {
				return fail(err)
			}
			res.Action = Reused
			w.progress(opts, "%s: reused (computed by another git dds)", st.Name)
			return res, true
		}
	}

	// Before the remote: cutting off costs a lookup, and spares the
	// transfer too.
	if rec, err := w.cutOff(ctx, view, j, notes); err != nil {
		return fail(err)
	} else if rec != nil {
		lock.markRecorded()
		res.Action = CutOff
		res.Reason = rec.CutOff.Reason()
		w.progress(opts, "%s: cut off: %s", st.Name, res.Reason)
		return res, true
	}

	var lease *remote.Lease
	if r := w.liveRemote(); r != nil {
		rec, l, err := w.fromRemote(ctx, r, j.view)
		switch {
		case ctx.Err() != nil:
			return fail(ctx.Err())
		case err != nil:
			w.remoteFailed(err)
		case rec != nil:
			if err := w.reuse(ctx, st, rec, j.placed, notes); err != nil {
				return fail(err)
			}
			lock.markRecorded()
			w.indexContentKey(ctx, rec)
			res.Action = Pulled
			w.progress(opts, "%s: pulled from remote %s", st.Name, r.Name)
			return res, true
		}
		lease = l
	}
	if lease != nil {
		defer func() {
			if err := lease.Release(ctx); err != nil {
				fmt.Fprintf(w.Stderr, "git dds: warning: %v\n", err)
			}
		}()
	}

	ext, err := w.prepareExternal(ctx, view, j.view, sigs)
	if err != nil {
		return fail(err)
	}
	var extEnv []string
	if ext != nil {
		extEnv = ext.env
	}
	w.progress(opts, "%s: executing", st.Name)
	started := time.Now()
	observed, err := w.execute(ctx, j.view, opts.Jobs > 1, opts.tracer, extEnv)
	if err != nil {
		if interrupt.Of(ctx) != nil {
			w.removeOutputs(st)
		} else {
			w.progress(opts, "%s: failed after %s", st.Name, ui.Duration(time.Since(started)))
		}
		return fail(err)
	}
	elapsed := time.Since(started)
	var externals []signature.ExternalOutput
	if ext != nil {
		// Listed once the command is done, before anything is recorded:
		// the record is the commit point of what the lake holds.
		if externals, err = ext.inspect(ctx, j.view); err != nil {
			return fail(err)
		}
	}
	rec, err := w.record(ctx, view, j.view, sigs, elapsed, observed, externals, opts)
	if rec != nil && rec.Audit != nil {
		res.Undeclared = rec.Audit.Undeclared
	}
	if err != nil {
		if interrupt.Of(ctx) != nil {
			w.removeOutputs(st)
		}
		return fail(err)
	}
	lock.markRecorded()
	w.progress(opts, "%s: executed in %s", st.Name, ui.Duration(elapsed))
	w.warnUnreadableMetrics(st)
	if lease != nil {
		// Those waiting on the lease pull this result.
		if _, err := w.Remote.Push(ctx, w.Local(), []*signature.Record{rec}, remote.PushOptions{Progress: w.Progress}); err != nil {
			fmt.Fprintf(w.Stderr, "git dds: warning: stage %s was computed here but not uploaded: %v; git dds push retries\n", st.Name, err)
		}
	}
	res.Action = Executed
	res.Seconds = elapsed.Seconds()
	return res, true
}

func (w *Workspace) progress(opts Options, format string, args ...any) {
	if opts.Verbose {
		fmt.Fprintf(w.Stderr, "git dds: "+format+"\n", args...)
	}
}

// reuse puts a recorded computation's outputs in the working tree, unless
// they are there already. An output edited by hand is never overwritten.
func (w *Workspace) reuse(ctx context.Context, st *pipeline.Stage, rec *signature.Record, placedAt map[string]index.Placed, notes *placedNotes) error {
	var todo []signature.Output
	for _, o := range rec.Outputs {
		last, known := placedAt[o.Path]
		cond, _, err := w.condition(ctx, o.Path, o, last, known)
		if err != nil {
			return err
		}
		switch cond {
		case outputEdited:
			return fmt.Errorf("stage %s: %w: %s; run git dds checkout --force to discard the edit, then git dds run", st.Name, ErrEdited, o.Path)
		case outputMissing, outputOther:
			todo = append(todo, o)
		}
	}
	if err := w.place(ctx, todo); err != nil {
		return err
	}
	notes.add(todo...)
	return nil
}

// execute runs the stage's command with fresh output paths, traced when
// tracer is not nil: what the trace observed comes back.
func (w *Workspace) execute(ctx context.Context, sv namespace.StageView, prefixed bool, tracer audit.Tracer, extEnv []string) (*audit.Observed, error) {
	st := sv.Stage
	outs := make([]string, len(st.Outs))
	for i, out := range st.Outs {
		outs[i] = filepath.Join(w.Repo.Root, filepath.FromSlash(out))
		w.removeDeadWorkTreeTemps(outs[i])
		if err := os.RemoveAll(outs[i]); err != nil {
			return nil, fmt.Errorf("stage %s: removing the old %s: %w", st.Name, out, err)
		}
		if err := os.MkdirAll(filepath.Dir(outs[i]), 0o755); err != nil {
			return nil, fmt.Errorf("stage %s: creating the folder of %s: %w", st.Name, out, err)
		}
	}
	tail := &tailBuffer{max: 10}
	var out io.Writer = w.Stderr
	if prefixed {
		pw := ui.NewPrefixWriter(w.Stderr, nil, "["+st.Name+"] ")
		defer pw.Flush()
		out = pw
	}
	out = io.MultiWriter(out, tail)

	cmd := exec.CommandContext(ctx, "sh", "-c", st.Cmd)
	cmd.Dir = filepath.Join(w.Repo.Root, filepath.FromSlash(st.Wdir))
	mark := executionMark + "=" + rand.Text()
	cmd.Env = append(os.Environ(), "DDS_STAGE="+st.Name, "DDS_SIGNATURE="+sv.Signature, mark)
	cmd.Env = append(cmd.Env, extEnv...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = 5 * time.Second
	// A group of its own: a signal git dds passes on reaches every
	// process of the command once, whether git dds got it from a terminal
	// or from a kill, and a Ctrl-C does not reach them twice.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return stopCommand(ctx, cmd.Process.Pid, mark) }
	var trace audit.Trace
	stopFlushing := w.Store.FlushAhead(outs, w.Link)
	var err error
	if tracer != nil {
		if trace, err = tracer.Start(cmd); err == nil {
			defer trace.Close()
			err = trace.Wait()
		}
	} else {
		err = cmd.Run()
	}
	stopFlushing()
	if interrupt.Of(ctx) != nil {
		endLeftovers(mark)
		return nil, fmt.Errorf("stage %s: %w", st.Name, ErrInterrupted)
	}
	if left := endLeftovers(mark); len(left) > 0 {
		return nil, fmt.Errorf("stage %s: its command returned but left processes running (pid %s), which could still write its outputs: git dds ended them, and nothing was recorded; make the command wait for what it starts (wait, in sh) and run git dds run again",
			st.Name, joinPIDs(left))
	}
	if err != nil {
		return nil, &StageError{Stage: st.Name, Err: err, Tail: tail.Lines()}
	}
	for _, o := range st.Outs {
		if err := w.checkOutput(o); err != nil {
			return nil, fmt.Errorf("stage %s: %w", st.Name, err)
		}
	}
	if trace == nil {
		return nil, nil
	}
	observed, err := trace.Observed()
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", st.Name, err)
	}
	return observed, nil
}

// interruptGrace is how long the processes of an interrupted stage have
// to end once they got the signal, before git dds kills them.
const interruptGrace = 3 * time.Second

// stopCommand passes the signal that interrupted git dds on to the
// command's process group, and to the processes it started that left the
// group, and kills whatever is left of them after interruptGrace. A
// cancellation that no signal caused kills them at once.
func stopCommand(ctx context.Context, pgid int, mark string) error {
	sig := syscall.SIGKILL
	if ie := interrupt.Of(ctx); ie != nil {
		sig = ie.Signal
	}
	err := syscall.Kill(-pgid, sig)
	// Those of the group got it once already: a second one could run a
	// handler twice (a traceback printed twice).
	signalMarked(mark, sig, pgid)
	if sig != syscall.SIGKILL {
		// The marks are this execution's alone: unlike a process group
		// id, they name no other process once these ended.
		time.AfterFunc(interruptGrace, func() { signalMarked(mark, syscall.SIGKILL, 0) })
	}
	return err
}

// signalMarked sends sig to the processes holding mark, but for those of
// the process group except (none when 0).
func signalMarked(mark string, sig syscall.Signal, except int) {
	for _, pid := range marked(mark) {
		if except != 0 {
			if g, err := syscall.Getpgid(pid); err == nil && g == except {
				continue
			}
		}
		_ = syscall.Kill(pid, sig)
	}
}

// removeOutputs removes what an interrupted stage wrote at its declared
// outputs: a partial output must not pass for one.
func (w *Workspace) removeOutputs(st *pipeline.Stage) {
	for _, out := range st.Outs {
		if err := os.RemoveAll(filepath.Join(w.Repo.Root, filepath.FromSlash(out))); err != nil {
			fmt.Fprintf(w.Stderr, "git dds: warning: stage %s was interrupted and its partial output %s could not be removed: %v; remove it by hand\n", st.Name, out, err)
		}
	}
}

// executionMark names the variable that marks every process a stage's
// command starts, with a value of its own per execution.
const executionMark = "DDS_EXECUTION"

// leftoverGrace is how long a stage's command may take, once the shell
// returned, to let the processes it started finish on their own.
const leftoverGrace = 2 * time.Second

// leftoverRecheck is how long apart two looks must both find no process
// left.
const leftoverRecheck = 30 * time.Millisecond

// endLeftovers waits up to leftoverGrace for the processes holding mark to
// end, then kills those left, and names them. A process still running
// after its stage's command returned may write an output after it was
// stored: in hardlink mode into the object itself.
func endLeftovers(mark string) []int {
	deadline := time.Now().Add(leftoverGrace)
	for {
		left := marked(mark)
		if len(left) == 0 {
			// A process in the middle of an exec shows no environment
			// for an instant: none seen twice in a row is none.
			time.Sleep(leftoverRecheck)
			if left = marked(mark); len(left) == 0 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			for _, pid := range left {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			// Killed processes are gone once reaped; what is left of
			// them writes nothing.
			for range 50 {
				if len(marked(mark)) == 0 {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			return left
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func joinPIDs(pids []int) string {
	s := make([]string, len(pids))
	for i, p := range pids {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ", ")
}

// checkOutput makes sure a declared output exists and lies inside the
// repository: a command may have replaced a parent folder by a symlink.
func (w *Workspace) checkOutput(out string) error {
	abs := filepath.Join(w.Repo.Root, filepath.FromSlash(out))
	if _, err := os.Lstat(abs); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("the command finished but did not produce its declared output %s; fix the command or the outs in %s", out, pipeline.FileName)
		}
		return err
	}
	realParent, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return err
	}
	realRoot, err := filepath.EvalSymlinks(w.Repo.Root)
	if err != nil {
		return err
	}
	if rel, err := filepath.Rel(realRoot, realParent); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("output %s resolves outside the repository (to %s); outputs must stay inside it", out, realParent)
	}
	return nil
}

// record ingests the outputs and writes the computation, after checking
// that no input moved while the command ran: an output must never be
// recorded under a signature it does not match.
//
// An audited stage's reads are sorted first; strictly audited, one it
// does not declare fails it here, before anything is recorded.
func (w *Workspace) record(ctx context.Context, view *namespace.View, sv namespace.StageView, sigs map[string]string, elapsed time.Duration, observed *audit.Observed, externals []signature.ExternalOutput, opts Options) (*signature.Record, error) {
	st := sv.Stage
	overlay, err := w.freshOverlay(ctx, view)
	if err != nil {
		return nil, err
	}
	producer := view.Pipeline.ProducerName
	after, inputs, err := signature.Compute(st, overlay, producer, sigs, w.Env)
	if err != nil {
		return nil, fmt.Errorf("stage %s: re-reading its inputs after it ran: %w", st.Name, err)
	}
	if after != sv.Signature {
		return nil, fmt.Errorf("stage %s: its inputs changed while it ran (%s); nothing was recorded; run git dds run again",
			st.Name, strings.Join(signature.Changed(sv.Inputs, inputs), ", "))
	}
	rec := &signature.Record{
		Signature: sv.Signature,
		Stage:     st.Name,
		External:  externals,
		Duration:  elapsed,
		Inputs:    sv.Inputs,
		Commit:    view.Commit,
		Host:      hostname(),
	}
	if observed != nil {
		rec.Audit = w.auditReads(st, view.Pipeline, overlay, observed, opts.AuditVerbose)
		if opts.Audit == config.AuditStrict && len(rec.Audit.Undeclared)+rec.Audit.Omitted > 0 {
			return rec, fmt.Errorf("stage %s: audit (dds.audit strict): %w (%s, named above); nothing was recorded; declare them in %s or stop reading them",
				st.Name, ErrUndeclaredReads, ui.Count(len(rec.Audit.Undeclared)+rec.Audit.Omitted, "file"), pipeline.FileName)
		}
	}
	// An ingest that finds an object already stored keeps that one, and a
	// git dds gc beside us may take it before this record lands: the record
	// is written only once its objects are seen under the index, and the
	// outputs are stored again when one went.
	for attempt := 1; ; attempt++ {
		rec.Outputs = rec.Outputs[:0]
		for _, out := range st.Outs {
			abs := filepath.Join(w.Repo.Root, filepath.FromSlash(out))
			id, size, dir, err := w.Store.Ingest(ctx, abs, w.Link)
			if err != nil {
				return nil, w.storingError(st.Name, out, err)
			}
			rec.Outputs = append(rec.Outputs, signature.Output{Path: out, ContentID: id, Size: size, Dir: dir})
		}
		// After the objects are written: an object modified after its
		// record's time is in doubt, and Store.Check rehashes it.
		rec.Time = time.Now().UTC()
		err := w.WithIndex(ctx, func(ix *index.Index) error {
			for _, o := range rec.Outputs {
				if !w.Store.HoldsOutput(o.ContentID, o.Dir) {
					return errCollected
				}
			}
			// The upstream records are in: they were recorded or
			// reused before this stage started.
			key, keyed, err := ix.ContentKey(rec.Inputs)
			if err != nil {
				return err
			}
			return ix.Batch(func(b *index.Batch) error {
				if err := b.Put(rec); err != nil {
					return err
				}
				if keyed {
					if err := b.PutContentKey(key, rec.Signature); err != nil {
						return err
					}
				}
				for _, o := range rec.Outputs {
					if err := w.notePlaced(b, o.Path, o.ContentID, o.Dir); err != nil {
						return err
					}
				}
				return nil
			})
		})
		if errors.Is(err, errCollected) && attempt == maxIngests {
			return nil, fmt.Errorf("stage %s: %w, %d times; nothing was recorded; run git dds run again once git dds gc is done", st.Name, err, attempt)
		}
		if err != nil && !errors.Is(err, errCollected) {
			return nil, err
		}
		if err == nil {
			return rec, nil
		}
	}
}

// freshOverlay looks at the working tree again, reusing the view's decoded
// git index when the index did not change.
func (w *Workspace) freshOverlay(ctx context.Context, view *namespace.View) (*gitref.Overlay, error) {
	if o, ok := view.Tree.(*gitref.Overlay); ok {
		return o.Refresh(ctx)
	}
	return w.Repo.Worktree(ctx)
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

// StageError is a stage command that failed.
type StageError struct {
	Stage string
	Err   error
	Tail  []string
}

func (e *StageError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stage %s failed: %v; nothing was recorded and the stages that need it were not run", e.Stage, e.Err)
	if len(e.Tail) > 0 {
		b.WriteString("\nlast lines of its output:")
		for _, l := range e.Tail {
			b.WriteString("\n  " + l)
		}
	}
	return b.String()
}

func (e *StageError) Unwrap() error { return e.Err }
