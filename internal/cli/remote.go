package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/spf13/cobra"

	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/remote"
	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

type transferOptions struct {
	rev   string
	all   bool
	jobs  int
	again bool
}

// transferCommand is one of push, fetch and pull: the same flags, the same
// choice of views, the same report.
type transferCommand struct {
	use, short, long, example string
	transfer                  func(ctx context.Context, ws *workspace.Workspace, r *remote.Remote, comps []workspace.Computation, opts *transferOptions, progress io.Writer) (*workspace.TransferResult, error)
	// checkout puts the fetched outputs in the working tree (pull).
	checkout bool
	push     bool
}

// The help text push, fetch and pull share.
const (
	transferHelpRemote = `REMOTE names the remote (dds.remote.NAME.url); without it, the one the
setting dds.remote names, or the only one configured. One line per stage
says what became of it:`
	transferHelpJSON = `--json prints, where objects and bytes count what went over the network:

    {"remote", "url", "stages": [{"name", "signature", "action"}],
      "objects", "bytes"}`
	transferHelpExit = `Exit status: 1 when content from the remote is refused (an object that
does not hash to its id, a record that cannot be used or that names an
object the remote lacks: nothing of that computation is stored), or when
pull meets an output edited by hand; 2 when no remote is configured,
several are and none is chosen, REMOTE is not configured, or a remote
setting cannot be used (a malformed URL, a bad dds.leaseSeconds); 3 when
the remote does not answer or cannot be opened, with a message naming
its URL and endpoint.`
)

func fetch(ctx context.Context, ws *workspace.Workspace, r *remote.Remote, comps []workspace.Computation, _ *transferOptions, progress io.Writer) (*workspace.TransferResult, error) {
	return ws.Fetch(ctx, r, comps, progress)
}

func newPushCommand(g *globalOptions) *cobra.Command {
	return newTransferCommand(g, transferCommand{
		use:   "push [REMOTE]",
		short: "Upload the artifacts of the working tree's view (or --rev, --all) that the remote lacks",
		long: `git dds push uploads every computed artifact of the working tree's
view (or of --rev, or of every local branch's with --all) that the remote
lacks: the objects first, then each computation's record, so that a
record in a remote always means the artifact is whole there. What is
there already is not sent again; an interrupted push resumes where it
stopped. --force sends every object and record again, whatever the
remote and this clone's memory of it say: it mends a remote whose copy
was damaged or deleted. The pre-push hook uploads the same way what each
pushed commit needs, before git sends the code.

The files pinned with git dds add in the working tree go too (the
pre-push hook: those of every pushed commit), in a repository with or
without dds.yaml.

` + transferHelpRemote + `

    uploaded    sent to the remote now
    present     the remote had it already
    uncomputed  computed nowhere: neither here nor in the remote

` + transferHelpJSON + `

` + transferHelpExit,
		example: `  # upload what the working tree's view computed
  git dds push

  # the artifacts of every local branch, to the remote named backup
  git dds push backup --all

  # mend a remote whose copy was damaged or deleted
  git dds push --force`,
		transfer: func(ctx context.Context, ws *workspace.Workspace, r *remote.Remote, comps []workspace.Computation, opts *transferOptions, progress io.Writer) (*workspace.TransferResult, error) {
			return ws.Push(ctx, r, comps, remote.PushOptions{Progress: progress, Again: opts.again})
		},
		push: true,
	})
}

func newFetchCommand(g *globalOptions) *cobra.Command {
	return newTransferCommand(g, transferCommand{
		use:   "fetch [REMOTE]",
		short: "Download into the store the artifacts of the working tree's view (or --rev, --all) that only the remote has",
		long: `git dds fetch downloads into the local store every artifact of the
working tree's view (or of --rev, or of every local branch's with --all)
that the remote has and this clone lacks, checking each object against
its BLAKE3 id, and leaves the working tree alone. git dds pull also puts
the outputs in place.

The files pinned with git dds add in the working tree come too, each
checked against the id and size its pin states; pins_missing in --json
names those the remote lacks.

` + transferHelpRemote + `

    downloaded  brought from the remote now
    local       this clone had it already
    uncomputed  computed nowhere: neither here nor in the remote

` + transferHelpJSON + `

` + transferHelpExit,
		example: `  # bring what the remote computed for the working tree's view
  git dds fetch

  # the artifacts of the branch main, for a later checkout of it
  git dds fetch --rev main`,
		transfer: fetch,
	})
}

func newPullCommand(g *globalOptions) *cobra.Command {
	return newTransferCommand(g, transferCommand{
		use:   "pull [REMOTE]",
		short: "Fetch, then put the outputs of the working tree's view in place",
		long: `git dds pull is git dds fetch followed by git dds checkout: it downloads
every artifact of the working tree's view that the remote has and this
clone lacks, then puts the outputs in place, and says how many: restored
N outputs, M already in place. An output edited by hand is kept and
named.

` + transferHelpRemote + `

    downloaded  brought from the remote now
    local       this clone had it already
    uncomputed  computed nowhere: neither here nor in the remote

--json prints, where objects and bytes count what went over the network,
and checkout lists output paths (and stages for stale):

    {"remote", "url", "stages": [{"name", "signature", "action"}],
      "objects", "bytes", "checkout": {"restored", "fresh", "stale",
      "edited"}}

` + transferHelpExit,
		example: `  # after pulling the code: the outputs teammates computed for it
  git dds pull`,
		transfer: fetch,
		checkout: true,
	})
}

func newTransferCommand(g *globalOptions, tc transferCommand) *cobra.Command {
	opts := &transferOptions{}
	cmd := &cobra.Command{
		Use:     tc.use,
		Short:   tc.short,
		Long:    tc.long,
		Example: tc.example,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			return runTransfer(cmd.Context(), g, opts, tc, name)
		},
	}
	// pull puts outputs in the working tree: only its own view can go there.
	if !tc.checkout {
		cmd.Flags().StringVar(&opts.rev, "rev", "", "the view of a commit, branch or tag instead of the working tree")
		cmd.Flags().BoolVar(&opts.all, "all", false, "the views of every local branch")
	}
	if tc.push {
		cmd.Flags().BoolVar(&opts.again, "force", false, "send every object and record again, whatever the remote holds: mends a damaged copy there")
	}
	cmd.Flags().IntVarP(&opts.jobs, "jobs", "j", remote.DefaultJobs, "transfers at once")
	g.addQuiet(cmd)
	return cmd
}

func runTransfer(ctx context.Context, g *globalOptions, opts *transferOptions, tc transferCommand, name string) error {
	if opts.all && opts.rev != "" {
		return usageError{err: errors.New("--all and --rev choose views two ways; give one")}
	}
	if opts.jobs < 1 {
		return usageError{err: fmt.Errorf("--jobs is %d; it takes 1 or more", opts.jobs)}
	}
	ws, err := openWorkspace(ctx, g)
	if err != nil {
		return err
	}
	r, err := ws.OpenRemote(ctx, remote.Request{Name: name, Purpose: remote.Required, Push: tc.push})
	if err != nil {
		return err
	}
	defer r.Close()
	r.Jobs = opts.jobs
	views, err := transferViews(ctx, ws, opts)
	if err != nil {
		return err
	}
	res, err := tc.transfer(ctx, ws, r, workspace.Computations(views...), opts, g.progress())
	var checkout *workspace.CheckoutResult
	if err == nil && tc.checkout {
		var view *namespace.View // none: a tree with pinned files alone
		if len(views) > 0 {
			view = views[0]
		}
		checkout, err = ws.Checkout(ctx, view, false)
	}
	if res != nil && (err == nil || len(res.Stages) > 0) {
		if g.json {
			if jerr := g.printJSON(transferJSON{TransferResult: res, Checkout: checkout}); jerr != nil {
				return jerr
			}
		} else {
			printTransfer(g, res, checkout)
		}
	}
	return err
}

type transferJSON struct {
	*workspace.TransferResult
	Checkout *workspace.CheckoutResult `json:"checkout,omitempty"`
}

// transferViews evaluates what a transfer covers: the working tree, one
// revision, or every local branch.
func transferViews(ctx context.Context, ws *workspace.Workspace, opts *transferOptions) ([]*namespace.View, error) {
	loader := namespace.NewLoader(ws.Repo, ws.Env)
	if !opts.all {
		view, err := loader.Load(ctx, opts.rev)
		if errors.Is(err, namespace.ErrNoPipeline) && opts.rev == "" {
			// A tree with pinned files and no pipeline (git dds add
			// alone) still has those files to move.
			if pins, perr := ws.PinFiles(ctx); perr == nil && len(pins) > 0 {
				return nil, nil
			}
		}
		if err != nil {
			return nil, err
		}
		return []*namespace.View{view}, nil
	}
	tips, err := ws.Repo.Branches()
	if err != nil {
		return nil, err
	}
	var views []*namespace.View
	for _, ref := range slices.Sorted(maps.Keys(tips)) {
		view, err := loader.Load(ctx, tips[ref])
		if errors.Is(err, namespace.ErrNoPipeline) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		views = append(views, view)
	}
	return views, nil
}

func printTransfer(g *globalOptions, res *workspace.TransferResult, checkout *workspace.CheckoutResult) {
	out := g.summary()
	for _, s := range res.Stages {
		fmt.Fprintf(out, "%-12s %s  %s\n", s.Action, ui.ShortID(s.Signature), s.Name)
	}
	uploaded, downloaded := res.Count(workspace.Uploaded), res.Count(workspace.Downloaded)
	switch {
	case uploaded > 0:
		fmt.Fprint(out, ui.TransferredObjects("uploaded", uploaded, "to "+res.Remote, res.Bytes, res.Objects))
	case downloaded > 0:
		fmt.Fprint(out, ui.TransferredObjects("downloaded", downloaded, "from "+res.Remote, res.Bytes, res.Objects))
	case res.Objects > 0:
		// No artifact, and still objects: those of pinned files.
		fmt.Fprintf(out, "transferred %s of pinned files with %s (%s)", ui.Count(res.Objects, "object"), res.Remote, ui.Bytes(res.Bytes))
	default:
		fmt.Fprintf(out, "nothing to transfer with %s", res.Remote)
	}
	if len(res.PinsMissing) > 0 {
		fmt.Fprintf(out, "; %s not in %s (git dds push from the clone that added them)", ui.Count(len(res.PinsMissing), "pinned file"), res.Remote)
	}
	if n := res.Count(workspace.Uncomputed); n > 0 {
		fmt.Fprintf(out, "; %s computed nowhere (git dds run computes them)", ui.Count(n, "stage"))
	}
	fmt.Fprintln(out)
	if checkout != nil {
		fmt.Fprintf(out, "restored %s, %d already in place%s\n", ui.Count(len(checkout.Restored), "output"), len(checkout.Fresh), pinsSummary(checkout.Pins))
	}
}
