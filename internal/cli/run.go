package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/config"
	"github.com/git-dds/git-dds/internal/interrupt"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

type runOptions struct {
	jobs    int
	dryRun  bool
	offline bool
	audit   string // --audit: "" when not given
	verbose bool
}

func newRunCommand(g *globalOptions) *cobra.Command {
	opts := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run [STAGE...]",
		Short: "Compute the stale stages, and what they need, in DAG order",
		Long: `git dds run brings the named stages (all when none is named), and every
stage they need, up to date, in DAG order, up to N independent stages at
once (-j N). A stage made by a foreach or matrix template is named
TEMPLATE@KEY (train@small); the template's own name stands for all its
instances. Each stage is:

- reused when its signature is recorded and its objects are in the local
  store: its outputs are put in the working tree from the store, and
  nothing executes;
- cut off when its upstream stages wrote, byte for byte, what they wrote
  for an earlier computation of it (a comment edited in clean.py: clean
  executes and writes the same bytes): that computation's outputs are put
  in place and recorded under the new signature, nothing executes, and the
  line says why ("features: cut off: clean wrote the same bytes");
- pulled when a remote is configured and the default remote holds it:
  downloaded, checked, put in place, not executed;
- executed otherwise: its old outputs are removed, the parent folders of
  its outputs created, and sh -c CMD runs at the repository root (or its
  wdir), with DDS_STAGE and DDS_SIGNATURE in its environment and stdin
  from /dev/null. Its output streams to stderr, each line prefixed with
  [STAGE] when -j is above 1. Every declared output must then exist and
  stay inside the repository; the outputs go into the store and the
  computation is recorded.

A stage fails, and nothing is recorded for it, when its command fails
(reported with its exit status and the last lines of its output), when a
process it started is still running 2 s after the shell returned (that
process is ended: it could write an output after it was stored), or when
a dep was edited while it ran (the output would not match its signature).
The stages that need it are skipped, independent stages still run.

An output of a reused stage that was edited by hand is never overwritten:
the stage fails and names the file; git dds checkout --force discards the
edit. An edit is decided by content, as git decides it: a repository
moved or copied (mv, cp -a) keeps its outputs.

Two runs never execute the same signature twice: the second waits for
the first and reuses its result. With a remote, a stage about to execute
is leased there, so that another machine running the same signature
waits for this one's result and pulls it; what executes under a lease is
uploaded as soon as it is recorded. A remote that fails is reported once,
as a warning, and the run computes locally. --offline neither pulls nor
takes leases nor uploads.

Ctrl-C (SIGINT) or SIGTERM sends the signal once to every process of each
executing stage, which has 3 s to end before what is left is killed; what
the stage wrote at its outputs is removed, nothing is recorded, stages
not started yet are not started, and one line says so:

    git dds: interrupted: train (nothing recorded)

Outputs are listed in a marked block of the repository's info/exclude, so
that they never show as untracked files. Outputs dds.yaml no longer
declares, which git dds placed and nobody edited since, are deleted from
the working tree before the run (they stay in the store).

With --audit (or git config dds.audit warn|strict), each executed stage is
traced, on Linux, for the files it and every process it starts read: each
read inside the repository that its deps, params and outs do not cover is
named, with the deps: line to add. strict fails such a stage and records
nothing. git dds traces by itself (a seccomp filter, answered through
seccomp user notification, else ptrace), or with the strace program
where it cannot: git config dds.auditTracer
auto|builtin|strace chooses, and -v names the one used. Where nothing can
trace, one line says why and the run goes on unaudited. See
docs/howto/find-undeclared-dependencies.md.

The summary counts what happened: executed 0, reused 1, pulled 2 (0s of
compute), with "cut off N" after "executed" when a stage was cut off.
--dry-run (-n) executes nothing and lists what would execute,
with an estimate from the last computation of each stage (on any branch),
and a total; a stage the remote holds would be pulled, and counts for
nothing. A stage run may cut off says so, as status does, and still
counts:

    would pull    clean                 (computed elsewhere, in the remote)
    would execute features              (last time ~1.2s, 3.9 MiB written)
    would execute report                (last time ~0.1s, 2 KiB written; may cut off)
    would execute plot                  (never computed: no estimate)
    3 stages, ~1.3s, ~3.9 MiB written (1 without an estimate)

--json prints:

    {"stages": [{"name", "signature", "action", "seconds", "reason"?,
      "error"?, "undeclared"?}]}

where action is executed, cut off (with the reason), reused, pulled,
failed or skipped; with --dry-run it is execute, reuse or pull, and a
stage that would execute carries estimated_seconds and estimated_bytes
(absent when it was never computed) and, when run may cut it off,
cut_off: ready or possible. An interrupted run prints no JSON.

Exit status: 1 when a stage failed, or an output edited by hand is in the
way; 2 for an unknown stage or a bad dds.yaml; 3 with --dry-run when the
remote does not answer (add --offline); 130 when interrupted by Ctrl-C,
143 by SIGTERM.`,
		Example: `  # bring every stage up to date, two at once
  git dds run -j 2

  # one stage, and the stages it needs
  git dds run train

  # what would execute, and how long it would take
  git dds run -n

  # compute here, without the remote
  git dds run --offline

  # name the files each stage reads without declaring them
  git dds run --audit`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), g, opts, args)
		},
	}
	cmd.Flags().IntVarP(&opts.jobs, "jobs", "j", 1, "run up to N independent stages at once")
	cmd.Flags().BoolVarP(&opts.dryRun, "dry-run", "n", false, "list what would execute, with estimates, and execute nothing")
	cmd.Flags().BoolVar(&opts.offline, "offline", false, "neither pull from the remote nor take leases there")
	cmd.Flags().StringVar(&opts.audit, "audit", "", "trace each executed stage for files it reads undeclared (Linux): warn, strict or off; dds.audit when not given")
	cmd.Flags().Lookup("audit").NoOptDefVal = string(config.AuditWarn)
	cmd.Flags().BoolVarP(&opts.verbose, "verbose", "v", false, "with an audit, also summarize what each stage read outside the repository")
	g.addQuiet(cmd)
	return cmd
}

func runRun(ctx context.Context, g *globalOptions, opts *runOptions, stages []string) error {
	if opts.jobs < 1 {
		return usageError{err: fmt.Errorf("-j takes a number of stages of at least 1, got %d", opts.jobs)}
	}
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	mode, err := auditMode(ws.Settings, opts.audit)
	if err != nil {
		return err
	}
	view, err := namespace.Load(ctx, ws.Repo, namespace.WorktreeRev, ws.Env)
	if err != nil {
		return err
	}
	closeRemote, err := ws.UseDefaultRemote(ctx, opts.offline)
	if err != nil {
		return err
	}
	defer closeRemote()
	ws.Progress = g.progress()
	res, err := ws.Run(ctx, view, workspace.Options{Stages: stages, Jobs: opts.jobs, DryRun: opts.dryRun, Verbose: g.progress() != nil,
		Audit: mode, AuditVerbose: opts.verbose})
	if res == nil || interrupt.Of(ctx) != nil {
		return err
	}
	if g.json {
		if jerr := g.printJSON(res); jerr != nil {
			return jerr
		}
	} else if opts.dryRun {
		printDryRun(g, res)
	} else if !g.quiet {
		printRunSummary(g, res)
	}
	if errors.Is(err, workspace.ErrFailed) {
		return answerNo{}
	}
	return err
}

// auditMode is what run --audit says, else dds.audit.
func auditMode(settings *config.Settings, flag string) (config.Audit, error) {
	mode := settings.Audit.Value
	if flag != "" {
		m, err := config.ParseAudit(flag)
		if err != nil {
			return "", usageError{err: fmt.Errorf("--audit: %w", err)}
		}
		mode = m
	} else if err := settings.Audit.Err; err != nil {
		return "", usageError{err: err, hint: configHint("audit")}
	}
	if err := settings.AuditTracer.Err; err != nil && mode != config.AuditOff {
		return "", usageError{err: err, hint: configHint("auditTracer")}
	}
	return mode, nil
}

func printRunSummary(g *globalOptions, res *workspace.Result) {
	counts := map[workspace.Action]int{}
	var seconds float64
	for _, s := range res.Stages {
		counts[s.Action]++
		seconds += s.Seconds
	}
	fmt.Fprintf(g.stdout, "executed %d", counts[workspace.Executed])
	if counts[workspace.CutOff] > 0 {
		fmt.Fprintf(g.stdout, ", cut off %d", counts[workspace.CutOff])
	}
	fmt.Fprintf(g.stdout, ", reused %d", counts[workspace.Reused])
	if counts[workspace.Pulled] > 0 {
		fmt.Fprintf(g.stdout, ", pulled %d", counts[workspace.Pulled])
	}
	if counts[workspace.Failed] > 0 {
		fmt.Fprintf(g.stdout, ", failed %d", counts[workspace.Failed])
	}
	if counts[workspace.Skipped] > 0 {
		fmt.Fprintf(g.stdout, ", not run %d", counts[workspace.Skipped])
	}
	fmt.Fprintf(g.stdout, " (%s of compute)\n", ui.Seconds(seconds))
}

func printDryRun(g *globalOptions, res *workspace.Result) {
	var n int
	var seconds float64
	var bytes int64
	unknown := 0
	for _, s := range res.Stages {
		if s.Action == workspace.WouldPull {
			fmt.Fprintf(g.stdout, "would pull    %-20s  (computed elsewhere, in the remote)\n", s.Name)
		}
		if s.Action != workspace.WouldExecute {
			continue
		}
		n++
		cutOff := ""
		switch s.CutOff {
		case workspace.CutOffReady:
			cutOff = "; run cuts it off: same upstream bytes"
		case workspace.CutOffPossible:
			cutOff = "; may cut off"
		}
		if s.Estimate == nil {
			unknown++
			fmt.Fprintf(g.stdout, "would execute %-20s  (never computed: no estimate%s)\n", s.Name, cutOff)
			continue
		}
		size := s.Estimate.Written()
		seconds += s.Estimate.Duration.Seconds()
		bytes += size
		fmt.Fprintf(g.stdout, "would execute %-20s  (last time ~%s, %s written%s)\n", s.Name, ui.Duration(s.Estimate.Duration), ui.Bytes(size), cutOff)
	}
	if n == 0 {
		fmt.Fprintln(g.stdout, "nothing to execute: every selected stage is computed")
		return
	}
	fmt.Fprintf(g.stdout, "%s, ~%s, ~%s written", ui.Count(n, "stage"), ui.Seconds(seconds), ui.Bytes(bytes))
	if unknown > 0 {
		fmt.Fprintf(g.stdout, " (%d without an estimate)", unknown)
	}
	fmt.Fprintln(g.stdout)
}
