package workspace

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"

	"github.com/git-dds/git-dds/internal/index"
	"github.com/git-dds/git-dds/internal/lake"
	"github.com/git-dds/git-dds/internal/namespace"
	"github.com/git-dds/git-dds/internal/pipeline"
	"github.com/git-dds/git-dds/internal/signature"
)

// The variables a stage with external outputs or ext deps gets. For a
// file:// lake, the plain folder too, for commands that take no URL
// (a shell script's redirections): DDS_PATH_OUT_<name>, DDS_PATH_IN_<name>.
// Their prefixes differ from DDS_OUT_ and DDS_IN_ so that no output name
// makes one variable another's.
const (
	envOut     = "DDS_OUT_"
	envIn      = "DDS_IN_"
	envPathOut = "DDS_PATH_OUT_"
	envPathIn  = "DDS_PATH_IN_"
)

// LakeRoot is the lake view's pipeline writes to: dds.lake when set, else
// the lake: of dds.yaml.
func (w *Workspace) LakeRoot(p *pipeline.Pipeline) (lake.Root, error) {
	return lake.Resolve(w.Settings, p.Lake)
}

// usesLake reports whether a stage writes to the lake or reads from it.
func usesLake(st *pipeline.Stage) bool { return len(st.External) > 0 || len(st.ExtDeps) > 0 }

// externalRun is what one execution of a stage with external outputs
// writes to: a fresh attempt per output, in the lake.
type externalRun struct {
	root     lake.Root
	attempts map[string]string // output name -> attempt id
	env      []string
}

// prepareExternal chooses the attempts of st's external outputs and the
// variables its command gets: DDS_OUT_<name>, a fresh prefix under the
// signature, and DDS_IN_<name>, the recorded URI of each ext dep. nil
// when the stage uses no lake.
func (w *Workspace) prepareExternal(ctx context.Context, view *namespace.View, sv namespace.StageView, sigs map[string]string) (*externalRun, error) {
	st := sv.Stage
	if !usesLake(st) {
		return nil, nil
	}
	root, err := w.LakeRoot(view.Pipeline)
	if err != nil {
		return nil, fmt.Errorf("stage %s writes to or reads from the lake: %w", st.Name, err)
	}
	if len(st.External) > 0 {
		// Refused before the command runs: a folder lake that is not
		// there, a URL the drivers refuse.
		l, err := lake.Open(ctx, root)
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", st.Name, err)
		}
		l.Close()
	}
	x := &externalRun{root: root, attempts: map[string]string{}}
	for _, ext := range st.External {
		attempt := lake.NewAttempt()
		x.attempts[ext.Name] = attempt
		uri := root.OutputURI(sv.Signature, attempt, ext.Name)
		x.env = append(x.env, envOut+ext.Name+"="+uri)
		if dir, ok := localPath(uri); ok {
			// A folder lake: the command's folder is there for it, as a
			// bucket's prefix is.
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("stage %s: creating its output folder in the lake: %w", st.Name, err)
			}
			x.env = append(x.env, envPathOut+ext.Name+"="+dir)
		}
	}
	if len(st.ExtDeps) == 0 {
		return x, nil
	}
	err = w.WithIndexRead(ctx, func(ix *index.Index) error {
		for _, name := range st.ExtDeps {
			out, err := upstreamExternal(ix, view.Pipeline, sigs, name)
			if err != nil {
				return fmt.Errorf("stage %s: %w", st.Name, err)
			}
			x.env = append(x.env, envIn+name+"="+out.URI)
			if dir, ok := localPath(out.URI); ok {
				x.env = append(x.env, envPathIn+name+"="+dir)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

// upstreamExternal finds the recorded external output name, written by
// the upstream stage of the current signature sigs gives.
func upstreamExternal(ix *index.Index, p *pipeline.Pipeline, sigs map[string]string, name string) (signature.ExternalOutput, error) {
	producer, ok := p.ExternalProducer(name)
	if !ok {
		return signature.ExternalOutput{}, fmt.Errorf("no stage writes the external output %s", name)
	}
	sig := sigs[producer.Name]
	rec, found, err := ix.Get(sig)
	if err != nil {
		return signature.ExternalOutput{}, err
	}
	if found {
		if i := slices.IndexFunc(rec.External, func(o signature.ExternalOutput) bool { return o.Name == name }); i >= 0 {
			return rec.External[i], nil
		}
	}
	return signature.ExternalOutput{}, fmt.Errorf("the external output %s of stage %s is not recorded for its signature %s; run git dds run %s", name, producer.Name, sig, producer.Name)
}

// localPath gives the folder of a file:// URI.
func localPath(uri string) (string, bool) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" {
		return "", false
	}
	return filepath.FromSlash(u.Path), true
}

// inspect lists what the command wrote at each external output and checks
// it: an empty output, or one not of its format, fails the stage.
func (x *externalRun) inspect(ctx context.Context, sv namespace.StageView) ([]signature.ExternalOutput, error) {
	st := sv.Stage
	if len(st.External) == 0 {
		return nil, nil
	}
	l, err := lake.Open(ctx, x.root)
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", st.Name, err)
	}
	defer l.Close()
	outs := make([]signature.ExternalOutput, 0, len(st.External))
	for _, ext := range st.External {
		attempt := x.attempts[ext.Name]
		key := lake.OutputKey(sv.Signature, attempt, ext.Name)
		li, err := l.Inspect(ctx, key, ext.Format)
		if err != nil {
			if errors.Is(err, lake.ErrCheck) {
				return nil, fmt.Errorf("stage %s: external output %s (%s): %w; nothing was recorded; fix the command so that it writes its output to $%s%s",
					st.Name, ext.Name, ext.Format, err, envOut, ext.Name)
			}
			return nil, fmt.Errorf("stage %s: listing its external output %s: %w", st.Name, ext.Name, err)
		}
		outs = append(outs, signature.ExternalOutput{
			Name: ext.Name, URI: x.root.URI(key), Attempt: attempt, Format: ext.Format,
			Count: li.Count, Bytes: li.Bytes, Digest: li.Digest, Pointer: li.Pointer,
		})
	}
	return outs, nil
}

// externalsExactly reports whether the external outputs of rec are
// exactly those st declares, with their formats.
func externalsExactly(rec *signature.Record, st *pipeline.Stage) bool {
	if len(rec.External) != len(st.External) {
		return false
	}
	for _, want := range st.External {
		i := slices.IndexFunc(rec.External, func(o signature.ExternalOutput) bool { return o.Name == want.Name })
		if i < 0 || rec.External[i].Format != want.Format {
			return false
		}
	}
	return true
}
