package experiment

import (
	"context"
	"fmt"
	"io"

	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/remote"
	"github.com/git-dds/git-dds/internal/workspace"
)

// computations gives the computations of the experiments' views.
func computations(ctx context.Context, ws *workspace.Workspace, infos []Info) ([]workspace.Computation, error) {
	loader := namespace.NewLoader(ws.Repo, ws.Env)
	views := make([]*namespace.View, 0, len(infos))
	for _, in := range infos {
		v, err := loader.Load(ctx, in.Commit)
		if err != nil {
			return nil, fmt.Errorf("reading the pipeline of experiment %s: %w", in.Name, err)
		}
		views = append(views, v)
	}
	return workspace.Computations(views...), nil
}

// Select gives the experiments named, all of them when names is empty.
func Select(ctx context.Context, ws *workspace.Workspace, names []string) ([]Info, error) {
	if len(names) == 0 {
		return List(ctx, ws.Repo)
	}
	infos := make([]Info, 0, len(names))
	for _, n := range names {
		in, err := Find(ctx, ws.Repo, n)
		if err != nil {
			return nil, err
		}
		infos = append(infos, in)
	}
	return infos, nil
}

// Push uploads the artifacts of the experiments infos to r (when not nil),
// then pushes their refs to the git remote gitRemote, replacing what it
// held under the same names: the artifacts first, so that whoever
// fetches a ref finds its data.
func Push(ctx context.Context, ws *workspace.Workspace, r *remote.Remote, gitRemote string, infos []Info, progress io.Writer) (*workspace.TransferResult, error) {
	var res *workspace.TransferResult
	if r != nil {
		comps, err := computations(ctx, ws, infos)
		if err != nil {
			return nil, err
		}
		if res, err = ws.Push(ctx, r, comps, remote.PushOptions{Progress: progress}); err != nil {
			return res, err
		}
	}
	specs := make([]string, 0, len(infos))
	for _, in := range infos {
		specs = append(specs, "+"+in.Ref+":"+in.Ref)
	}
	if len(specs) == 0 {
		return res, nil
	}
	return res, ws.Repo.Push(ctx, gitRemote, specs...)
}

// Pull fetches the experiments' refs from the git remote gitRemote (the
// ones named, all of them when names is empty), replacing local ones of
// the same names, then their artifacts from r (when not nil) into the
// store.
func Pull(ctx context.Context, ws *workspace.Workspace, r *remote.Remote, gitRemote string, names []string, progress io.Writer) ([]Info, *workspace.TransferResult, error) {
	specs := []string{"+" + RefPrefix + "*:" + RefPrefix + "*"}
	if len(names) > 0 {
		specs = specs[:0]
		for _, n := range names {
			ref := RefPrefix + n
			if !ws.Repo.CheckRefName(ctx, ref) {
				return nil, nil, fmt.Errorf("%q is not an experiment name", n)
			}
			specs = append(specs, "+"+ref+":"+ref)
		}
	}
	if err := ws.Repo.Fetch(ctx, gitRemote, specs...); err != nil {
		return nil, nil, err
	}
	infos, err := Select(ctx, ws, names)
	if err != nil || r == nil {
		return infos, nil, err
	}
	comps, err := computations(ctx, ws, infos)
	if err != nil {
		return infos, nil, err
	}
	res, err := ws.Fetch(ctx, r, comps, progress)
	return infos, res, err
}
