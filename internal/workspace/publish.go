package workspace

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/git-dds/git-dds/internal/interrupt"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/lake"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/ui"
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

// ErrPublishCommand marks a publish: command that failed for a view:
// the view is written, what the command registers is not.
var ErrPublishCommand = errors.New("the publish: command failed")

// Published is what PublishRef did.
type Published struct {
	Ref string `json:"ref"`
	// Views are the URIs of the views written.
	Views []string `json:"views"`
	// Uncomputed names the external outputs of the ref with no record
	// here: their views, if any, still name an earlier computation.
	Uncomputed []string `json:"uncomputed"`
	// Command is the publish: command of the ref's dds.yaml, "" for none;
	// Registered names the outputs it succeeded for.
	Command    string   `json:"command,omitempty"`
	Registered []string `json:"registered"`
}

// PublishRef publishes ref (a branch or tag name, whose full name, as
// the hooks bind namespaces, is fullRef): the view of each of its
// external outputs computed here, then, when the ref's dds.yaml declares
// publish:, that command once per view written. A failed command leaves
// the views as written and wraps ErrPublishCommand, naming every output
// it failed for; the views of the others stand, and so does anything git
// did before (a merge).
func (w *Workspace) PublishRef(ctx context.Context, ref, fullRef string) (*Published, error) {
	ns, err := w.RefNamespace(ctx, ref, fullRef)
	if err != nil {
		return nil, err
	}
	view, err := namespace.Load(ctx, w.Repo, ns.Commit, w.Env)
	if err != nil {
		return nil, err
	}
	views, err := w.ExternalViews(ctx, ns, nil)
	if err != nil {
		return nil, err
	}
	res := &Published{Ref: ns.Ref, Views: []string{}, Uncomputed: []string{}, Registered: []string{}, Command: view.Pipeline.Publish}
	computed := map[string]bool{}
	for _, v := range views {
		computed[v.Name] = true
	}
	for _, a := range ns.Artifacts {
		if name, ok := strings.CutPrefix(a.Path, pipeline.ExtPrefix); ok && !computed[name] {
			res.Uncomputed = append(res.Uncomputed, name)
		}
	}
	if len(views) == 0 {
		if len(res.Uncomputed) == 0 {
			return res, fmt.Errorf("%w: %s declares none in %s, so there is nothing to publish", ErrNoSuchExternal, ns.Ref, pipeline.FileName)
		}
		return res, fmt.Errorf("%w: no external output of %s is computed here (%s); git dds run computes them, or git dds pull brings them, then git dds publish --ref %s",
			ErrNotComputed, ns.Ref, strings.Join(res.Uncomputed, ", "), ns.Ref)
	}
	res.Views, err = w.Publish(ctx, ns, view.Pipeline, views)
	if err != nil || view.Pipeline.Publish == "" {
		return res, err
	}
	root, err := w.LakeRoot(view.Pipeline)
	if err != nil {
		return res, err
	}
	var failed []string
	var details strings.Builder
	for i, v := range views {
		if err := inLake(root, v); err != nil {
			// The command may build SQL from the URI: it gets only URIs
			// of this lake's own layout, whatever a record says.
			failed = append(failed, "ext:"+v.Name)
			fmt.Fprintf(&details, "\n  ext:%s: not run: %v; git dds run computes it in this lake", v.Name, err)
			continue
		}
		tail, err := w.runPublishCommand(ctx, view.Pipeline.Publish, v, res.Views[i])
		if err != nil {
			if ctx.Err() != nil {
				return res, err
			}
			failed = append(failed, "ext:"+v.Name)
			fmt.Fprintf(&details, "\n  ext:%s: %v", v.Name, err)
			if len(tail) > 0 {
				details.WriteString("; its last lines:\n    " + strings.Join(tail, "\n    "))
			}
			continue
		}
		res.Registered = append(res.Registered, v.Name)
	}
	if len(failed) > 0 {
		return res, fmt.Errorf("%w for %s of %s (publish: %q in %s, run at the working tree's root): the views are written, so their readers see the new data, "+
			"but what the command registers is not; fix the cause and run git dds publish --ref %s again%s",
			ErrPublishCommand, strings.Join(failed, ", "), ns.Ref, view.Pipeline.Publish, pipeline.FileName, ns.Ref, details.String())
	}
	return res, nil
}

// Publish writes the views of ns, from ExternalViews, to
// <lake>/views/<ref>/<name>.json, each in one atomic write (a single PUT
// on a bucket, a temporary file renamed in a folder): a reader sees the
// old view or the new one. Views are the only names in the lake that
// change; they hold no data. It gives the URIs of the views written, in
// the order of views.
func (w *Workspace) Publish(ctx context.Context, ns *namespace.Namespace, p *pipeline.Pipeline, views []ExternalView) ([]string, error) {
	root, err := w.LakeRoot(p)
	if err != nil {
		return nil, err
	}
	l, err := lake.Open(ctx, root)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	written := []string{}
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

// runPublishCommand runs the publish: command for one view written at
// viewURI, at the working tree's root as a stage's command runs, with
// the view in DDS_PUBLISH_* variables; its output goes to w.Stderr, each
// line after the output's name. On failure it gives the last lines of
// that output too.
func (w *Workspace) runPublishCommand(ctx context.Context, command string, v ExternalView, viewURI string) ([]string, error) {
	pw := ui.NewPrefixWriter(w.Stderr, nil, "[publish "+v.Name+"] ")
	defer pw.Flush()
	tail := &tailBuffer{max: 10}
	out := io.MultiWriter(pw, tail)
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Dir = w.Repo.Root
	mark := executionMark + "=" + rand.Text()
	cmd.Env = append(os.Environ(), mark)
	cmd.Env = append(cmd.Env, PublishEnv(v, viewURI)...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	// A group of its own, as a stage's command: an interrupt reaches each
	// of its processes once, and none is left running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return stopCommand(ctx, cmd.Process.Pid, mark) }
	err := cmd.Run()
	endLeftovers(mark)
	if interrupt.Of(ctx) != nil {
		return nil, fmt.Errorf("the publish: command for ext:%s: %w", v.Name, ErrInterrupted)
	}
	if err != nil {
		return tail.Lines(), err
	}
	return nil, nil
}

// inLake checks that v's URI is the prefix of an attempt of its
// computation under root, as this lake lays them out.
func inLake(root lake.Root, v ExternalView) error {
	rest, ok := strings.CutPrefix(v.URI, root.URL+"/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 5 {
		return fmt.Errorf("recorded at %s, outside the lake %s", v.URI, root.URL)
	}
	_, err := root.CheckOutput(v.URI, v.Signature, parts[2], v.Name)
	return err
}

// PublishEnv is the environment the publish: command gets for view v,
// written at viewURI: every field of the view, so that the command
// registers a table at the output's URI without reading the view.
func PublishEnv(v ExternalView, viewURI string) []string {
	pointerURI := ""
	if v.Pointer != "" {
		pointerURI = v.URI + v.Pointer
	}
	return []string{
		"DDS_PUBLISH_NAME=" + v.Name,
		"DDS_PUBLISH_REF=" + v.Ref,
		"DDS_PUBLISH_COMMIT=" + v.Commit,
		"DDS_PUBLISH_STAGE=" + v.Stage,
		"DDS_PUBLISH_SIGNATURE=" + v.Signature,
		"DDS_PUBLISH_URI=" + v.URI,
		"DDS_PUBLISH_FORMAT=" + v.Format,
		"DDS_PUBLISH_POINTER=" + v.Pointer,
		"DDS_PUBLISH_POINTER_URI=" + pointerURI,
		"DDS_PUBLISH_COUNT=" + strconv.FormatInt(v.Count, 10),
		"DDS_PUBLISH_BYTES=" + strconv.FormatInt(v.Bytes, 10),
		"DDS_PUBLISH_VIEW=" + viewURI,
	}
}
