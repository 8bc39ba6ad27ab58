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

// softMemoryLimit is the heap size past which the collector stops
// trading memory for time (GOGC 400). A status of 10,000 stages over
// 250,000 files keeps about 40 MiB live at its peak: the limit leaves
// room for collections every 15 MiB or so there, and the binary's own
// pages come on top of it in the resident size. Below it, collections
// run back to back for little less memory.
const softMemoryLimit = 56 << 20

// Main runs git dds with the process's arguments and exits with its exit
// code.
func Main() {
	// A command lives for a fraction of a second and allocates mostly
	// what it keeps (the git index, the pipeline): collecting less often
	// saves a tenth of a large status. GOGC still decides when set.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// ...but not without bound: GOGC 400 let a status of 10,000 stages
	// reach 200 MiB of resident memory. A soft limit makes the collector
	// work harder only past it, which a small repository never reaches.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
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
