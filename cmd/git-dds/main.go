// Command git-dds versions data the way git versions code. git runs it as
// `git dds`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	// A command lives for a fraction of a second and allocates mostly
	// what it keeps (the git index, the pipeline): collecting less often
	// saves a tenth of a large status. GOGC still decides when set.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := startProfile()
	cmd, err := newRootCommand().ExecuteContextC(ctx)
	stopProfile()
	stop()
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
