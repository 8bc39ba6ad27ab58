// Command git-dds versions data the way git versions code. git runs it as
// `git dds`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCommand().ExecuteContext(ctx)
	stop()
	if err != nil {
		if !isSilent(err) {
			fmt.Fprintf(os.Stderr, "git dds: %v\n", err)
		}
		os.Exit(exitCode(err))
	}
}
