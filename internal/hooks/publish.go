package hooks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/git-dds/git-dds/internal/ui"
	"github.com/git-dds/git-dds/internal/workspace"
)

// publishMerged publishes the views of the branch a merge moved, when
// dds.publish names it, as git dds publish --ref BRANCH does. The merge
// is done whatever happens here: a failure is a warning that says what
// failed and the command to run once it is fixed.
func (h *Handler) publishMerged(ctx context.Context) {
	setting := h.WS.Settings.Publish
	if setting.Err != nil {
		fmt.Fprintf(h.Stderr, "git dds: warning: %v\n", setting.Err)
	}
	if len(setting.Value) == 0 || h.sequencing() {
		return
	}
	ref, _, err := h.WS.Repo.Head()
	branch, onBranch := strings.CutPrefix(ref, "refs/heads/")
	if err != nil || !onBranch || !h.WS.Settings.Publishes(branch) {
		return
	}
	res, err := h.WS.PublishRef(ctx, branch, ref)
	if res != nil && len(res.Views) > 0 {
		fmt.Fprintf(h.Stderr, "git dds: published %s of %s (dds.publish): %s\n",
			ui.Count(len(res.Views), "view"), branch, strings.Join(res.Views, ", "))
		if len(res.Registered) > 0 {
			fmt.Fprintf(h.Stderr, "git dds: the publish: command registered ext:%s\n", strings.Join(res.Registered, ", ext:"))
		}
		if len(res.Uncomputed) > 0 {
			fmt.Fprintf(h.Stderr, "git dds: warning: ext:%s of %s not computed here, not published (a view of it, if any, still names an earlier computation): git dds run, then git dds publish --ref %s\n",
				strings.Join(res.Uncomputed, ", ext:"), branch, branch)
		}
	}
	if err != nil {
		if !errors.Is(err, workspace.ErrPublishCommand) {
			err = fmt.Errorf("%w; once that is fixed, run git dds publish --ref %s", err, branch)
		}
		fmt.Fprintf(h.Stderr, "git dds: warning: dds.publish: publishing %s after the merge failed: %v\n"+
			"git dds: the merge is done and stays: publishing never undoes it\n", branch, err)
	}
}
