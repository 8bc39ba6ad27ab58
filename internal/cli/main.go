// Package cli is the git-dds command tree: its flags, output and exit
// codes. cmd/git-dds runs it; the end-to-end tests run it in their own
// test binary, so that their coverage counts.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/git-dds/git-dds/internal/interrupt"
	"github.com/git-dds/git-dds/internal/workspace"
)

// Main runs git dds with the process's arguments and exits with its exit
// code.
func Main() {
	// A command lives for a fraction of a second and allocates mostly
	// what it keeps (the git index, the pipeline): collecting less often
	// saves a tenth of a large status. GOGC still decides when set.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := interrupt.NotifyContext(context.Background())
	stopProfile := startProfile()
	cmd, err := newRootCommand().ExecuteContextC(ctx)
	stopProfile()
	stop()
	if ie := interrupt.Of(ctx); ie != nil && err != nil {
		// The signal is the reason, whatever error it caused.
		if !errors.Is(err, workspace.ErrInterrupted) {
			fmt.Fprintln(os.Stderr, "git dds: interrupted")
		}
		os.Exit(ie.ExitCode())
	}
	if err != nil {
		if !isSilent(err) {
			msg := err.Error()
			if hint := helpHint(err, cmd); hint != "" {
				msg += "; " + hint
			}
			fmt.Fprintf(os.Stderr, "git dds: %s\n", msg)
		}
		os.Exit(exitCode(err))
	}
}
