package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/lake"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/signature"
)

var (
	// ErrNotComputed means a ref's external output has no record here.
	ErrNotComputed = errors.New("not computed here")
	// ErrNoSuchExternal means a ref declares no external output of the
	// name asked for.
	ErrNoSuchExternal = errors.New("no such external output")
)

// ExternalView is what a ref's external output is, for readers without
// git: the JSON of a view object, and of git dds url --json.
type ExternalView struct {
	Name      string `json:"name"`
	Ref       string `json:"ref"`
	Commit    string `json:"commit"`
	Stage     string `json:"stage"`
	Signature string `json:"signature"`
	URI       string `json:"uri"`
	Format    string `json:"format"`
	Pointer   string `json:"pointer,omitempty"`
	Count     int64  `json:"count"`
	Bytes     int64  `json:"bytes"`
}

// RefNamespace is the namespace of ref: saved by the hooks when it is
// current, else computed from its tree. fullRef is the name the hooks
// bind it under (refs/heads/NAME for a branch).
func (w *Workspace) RefNamespace(ctx context.Context, ref, fullRef string) (*namespace.Namespace, error) {
	saved := func(string) (ns *namespace.Namespace, ok bool, err error) {
		err = w.WithIndexRead(ctx, func(ix *index.Index) error {
			ns, ok, err = namespace.Saved(ix, w.Repo, fullRef)
			return err
		})
		return ns, ok, err
	}
	ns, _, err := namespace.ForRef(ctx, w.Repo, saved, ref, w.Env)
	if err != nil {
		return nil, err
	}
	ns.Ref = ref
	return ns, nil
}

// ExternalViews gives the external outputs of ns whose computations are
// recorded here, by name; names, when given, select them (each must be
// one of ns). An output not computed here wraps ErrNotComputed when it
// was named.
func (w *Workspace) ExternalViews(ctx context.Context, ns *namespace.Namespace, names []string) ([]ExternalView, error) {
	var views []ExternalView
	found := map[string]bool{}
	err := w.WithIndexRead(ctx, func(ix *index.Index) error {
		for _, a := range ns.Artifacts {
			name, ok := strings.CutPrefix(a.Path, pipeline.ExtPrefix)
			if !ok || len(names) > 0 && !slices.Contains(names, name) {
				continue
			}
			found[name] = true
			rec, ok, err := ix.Get(a.Signature)
			if err != nil {
				return err
			}
			var out *signature.ExternalOutput
			if ok {
				if i := slices.IndexFunc(rec.External, func(o signature.ExternalOutput) bool { return o.Name == name }); i >= 0 {
					out = &rec.External[i]
				}
			}
			if out == nil {
				if len(names) > 0 {
					return fmt.Errorf("ext:%s of %s (stage %s, signature %s) is %w: run git dds run %s, or git dds pull it from a remote that has it",
						name, ns.Ref, a.Stage, a.Signature, ErrNotComputed, a.Stage)
				}
				continue
			}
			views = append(views, ExternalView{Name: name, Ref: ns.Ref, Commit: ns.Commit, Stage: a.Stage, Signature: a.Signature,
				URI: out.URI, Format: out.Format, Pointer: out.Pointer, Count: out.Count, Bytes: out.Bytes})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if !found[name] {
			return nil, fmt.Errorf("%w: %s declares no external output %s in %s; git dds ls --ref %s lists its outputs", ErrNoSuchExternal, ns.Ref, name, pipeline.FileName, ns.Ref)
		}
	}
	return views, nil
}

// viewKey is where the view of ref's output name goes in the lake.
func viewKey(ref, name string) (string, error) {
	short := strings.TrimPrefix(strings.TrimPrefix(ref, "refs/heads/"), "refs/")
	for seg := range strings.SplitSeq(short, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsFunc(seg, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
			return "", fmt.Errorf("ref %q cannot name a folder of the lake: publish a branch or a tag by name", ref)
		}
	}
	return "views/" + short + "/" + name + ".json", nil
}

// Publish writes the view of each external output of ns computed here to
// <lake>/views/<ref>/<name>.json, each in one atomic write (a single PUT
// on a bucket, a temporary file renamed in a folder): a reader sees the
// old view or the new one. Views are the only names in the lake that
// change; they hold no data. It gives the URIs of the views written.
func (w *Workspace) Publish(ctx context.Context, ns *namespace.Namespace, p *pipeline.Pipeline) ([]string, error) {
	views, err := w.ExternalViews(ctx, ns, nil)
	if err != nil {
		return nil, err
	}
	if len(views) == 0 {
		return nil, fmt.Errorf("%s has no external output computed here to publish; git dds run computes them", ns.Ref)
	}
	root, err := w.LakeRoot(p)
	if err != nil {
		return nil, err
	}
	l, err := lake.Open(ctx, root)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	var written []string
	for _, v := range views {
		key, err := viewKey(ns.Ref, v.Name)
		if err != nil {
			return written, err
		}
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return written, err
		}
		if err := l.Put(ctx, key, append(data, '\n')); err != nil {
			return written, fmt.Errorf("publishing ext:%s of %s: %w", v.Name, ns.Ref, err)
		}
		written = append(written, root.URI(key))
	}
	return written, nil
}
