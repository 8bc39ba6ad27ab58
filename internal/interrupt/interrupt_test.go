package interrupt

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

// The first signal cancels the context and names itself as the cause; a
// second one (git passing on the Ctrl-C the terminal already sent) changes
// nothing, and kills nothing.
func TestFirstSignalIsTheCause(t *testing.T) {
	ctx, stop := NotifyContext(context.Background())
	defer stop()
	if Of(ctx) != nil {
		t.Fatal("an interruption before any signal")
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM did not cancel the context")
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	ie := Of(ctx)
	if ie == nil || ie.Signal != syscall.SIGTERM {
		t.Fatalf("the cause is %v, want SIGTERM", context.Cause(ctx))
	}
	if ie.ExitCode() != 143 {
		t.Errorf("exit code %d, want 143", ie.ExitCode())
	}
	if !errors.Is(context.Cause(ctx), context.Canceled) {
		t.Error("an interruption is not a cancellation")
	}
	if (&Error{Signal: syscall.SIGINT}).ExitCode() != 130 {
		t.Error("Ctrl-C does not exit 130")
	}
}

// A context cancelled otherwise is no interruption.
func TestCancelIsNoInterruption(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Of(ctx) != nil {
		t.Error("a plain cancellation taken for an interruption")
	}
}
