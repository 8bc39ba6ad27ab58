package workspace

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/git-dds/git-dds/internal/metrics"
	"github.com/git-dds/git-dds/internal/pipeline"
)

// warnUnreadableMetrics reads the metrics files a stage just wrote, and
// says at once which of them git dds metrics cannot read, with the file,
// line and what is wrong: the user is looking at the run then, not at
// the day a comparison of branches first shows the file unreadable. The
// stage stays recorded: its outputs are what its command wrote.
func (w *Workspace) warnUnreadableMetrics(st *pipeline.Stage) {
	for _, path := range st.Metrics {
		if err := readableMetrics(filepath.Join(w.Repo.Root, filepath.FromSlash(path)), path); err != nil {
			fmt.Fprintf(w.Stderr, "git dds: warning: stage %s wrote a metrics file git dds cannot read: %v; git dds metrics show reports it until the stage writes it right\n", st.Name, err)
		}
	}
}

// readableMetrics parses the metrics file at abs, named path in messages.
func readableMetrics(abs, path string) error {
	f, err := os.Open(abs)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = metrics.Read(path, f, info.Size())
	return err
}
