package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/maintenance"
	"github.com/git-dds/git-dds/internal/ui"
)

type fsckOptions struct {
	repair   bool
	external bool
}

func newFsckCommand(g *globalOptions) *cobra.Command {
	opts := &fsckOptions{}
	cmd := &cobra.Command{
		Use:   "fsck",
		Short: "Verify every object and record; with --repair, put right what is wrong",
		Long: `git dds fsck rehashes every object of the store and checks every
record: each object it needs is there and whole (for a folder output, its
manifest decodes and every file it lists is there and whole). Each
problem names the stage and signature it affects; one object shared by
two outputs makes one problem for each record that needs it. Objects no
record needs are counted, not reported: git dds gc removes them.

--repair puts right what it found:

- corrupt objects move to .git/dds/quarantine/, for a person to look at;
- the records that need a corrupt or missing object are dropped, so that
  the next git dds run recomputes exactly those stages, and so are the
  records git dds did not write (bad-record: an output path with .. or
  .git, a malformed content id, a size past its bound);
- temporary files that interrupted runs left in .git/dds/tmp/ and beside
  the outputs go, once the process that wrote them has ended, and so do
  lock files in .git/dds/locks/ that no run has held for an hour;
- a damaged index (one that cannot be read) is moved to
  .git/dds/index.damaged-TIME (a UTC time) and an empty one started: its
  records are lost, the objects are kept, and the next run recomputes
  every stage.
  Every other command meets a damaged index with exit 3 and a message
  naming fsck --repair.

fsck reads every byte outside the index, so other git dds commands go on
meanwhile. Without --repair it only reads the index, so it works on a
read-only store and on a full disk.

--json prints:

    {"objects", "bytes", "records", "unreferenced", "problems": [{"kind",
      "stage"?, "signature"?, "output"?, "object"?, "message"}],
      "repaired"?: {"quarantined": [ID], "quarantine_dir", "dropped":
      [{"stage", "signature"}], "temp_removed", "index_moved_to"?}}

where kind is corrupt-object, missing-object, bad-manifest, bad-record,
damaged-index, or with --external external-changed, external-missing or
external-elsewhere.

--external also lists, in the lake (dds.lake, else the working tree's
dds.yaml), every external output a record names, one listing each, and
compares its digest (keys, sizes, ETags) with the recorded one: an
output whose objects were added, removed, rewritten or deleted is
external-changed or external-missing; one recorded in another lake is
external-elsewhere, and not checked. With --repair, the records of a
changed or missing output are dropped, so that the next git dds run
recomputes them; the lake itself is never written.

Exit status: 1 when fsck finds a problem, without --repair; 0 otherwise.`,
		Example: `  # check the store, as after a disk error
  git dds fsck

  # set aside what is corrupt, so that the next run recomputes it
  git dds fsck --repair
  git dds run`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFsck(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.repair, "repair", false, "quarantine corrupt objects, drop the records that need them, rebuild a damaged index")
	cmd.Flags().BoolVar(&opts.external, "external", false, "also list every recorded external output in the lake and compare its digest")
	return cmd
}

func runFsck(ctx context.Context, g *globalOptions, opts *fsckOptions) error {
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	rep, err := maintenance.Fsck(ctx, ws, maintenance.FsckOptions{Repair: opts.repair, External: opts.external})
	if err != nil {
		return err
	}
	if g.json {
		if err := g.printJSON(rep); err != nil {
			return err
		}
	} else {
		printFsck(g, rep)
	}
	if len(rep.Problems) > 0 && !opts.repair {
		return answerNo{}
	}
	return nil
}

func printFsck(g *globalOptions, rep *maintenance.FsckReport) {
	fmt.Fprintf(g.stdout, "checked %s (%s) and %s\n",
		ui.Count(rep.Objects, "object"), ui.Bytes(rep.Bytes), ui.Count(rep.Records, "record"))
	for _, p := range rep.Problems {
		if p.Stage != "" {
			fmt.Fprintf(g.stdout, "  stage %s (%s): %s\n", p.Stage, ui.ShortID(p.Signature), p.Message)
		} else {
			fmt.Fprintf(g.stdout, "  %s\n", p.Message)
		}
	}
	if rep.Unreferenced > 0 {
		fmt.Fprintf(g.stdout, "%s no record needs (git dds gc removes them)\n", ui.Count(rep.Unreferenced, "object"))
	}
	r := rep.Repaired
	switch {
	case r != nil:
		printRepair(g, r)
	case len(rep.Problems) == 0:
		fmt.Fprintln(g.stdout, "no problems")
	case rep.Problems[0].Kind == maintenance.DamagedIndex:
		fmt.Fprintf(g.stdout, "%s; git dds fsck --repair moves the damaged index aside and starts an empty one "+
			"(its records are lost, the objects are kept, and the next git dds run recomputes every stage)\n",
			ui.Count(len(rep.Problems), "problem"))
	default:
		fmt.Fprintf(g.stdout, "%s; git dds fsck --repair quarantines corrupt objects and drops the records that need them, "+
			"so that the next git dds run recomputes exactly those\n", ui.Count(len(rep.Problems), "problem"))
	}
}

func printRepair(g *globalOptions, r *maintenance.Repair) {
	if r.IndexMovedTo != "" {
		fmt.Fprintf(g.stdout, "moved the damaged index to %s and started an empty one: its records are lost, the objects are kept; "+
			"the next git dds run recomputes every stage, reusing nothing it cannot prove\n", r.IndexMovedTo)
	}
	if len(r.Quarantined) > 0 {
		fmt.Fprintf(g.stdout, "moved %s to %s\n", ui.Count(len(r.Quarantined), "corrupt object"), r.QuarantineDir)
	}
	if len(r.Dropped) > 0 {
		fmt.Fprintf(g.stdout, "dropped %s; the next git dds run recomputes them:\n", ui.Count(len(r.Dropped), "record"))
		for _, d := range r.Dropped {
			fmt.Fprintf(g.stdout, "  %s (%s)\n", d.Stage, ui.ShortID(d.Signature))
		}
	}
	if r.TempRemoved > 0 {
		fmt.Fprintf(g.stdout, "removed %s left by interrupted runs\n", ui.Count(r.TempRemoved, "temporary or idle lock file"))
	}
	if r.IndexMovedTo == "" && len(r.Quarantined) == 0 && len(r.Dropped) == 0 && r.TempRemoved == 0 {
		fmt.Fprintln(g.stdout, "nothing to repair")
	}
}
