// Package interrupt turns SIGINT and SIGTERM into the cancellation of a
// context whose cause names the signal, so that what runs under it can
// pass the same signal on to the processes it started, and the command
// exit as a shell expects of an interrupted one: 128 plus the signal.
package interrupt

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// Error is the cause of a context that a signal cancelled.
type Error struct{ Signal syscall.Signal }

func (e *Error) Error() string { return "interrupted by " + signalName(e.Signal) }

// Is makes an interruption a cancellation to whoever checks for one.
func (e *Error) Is(target error) bool { return target == context.Canceled }

// ExitCode is what a shell reports for a command a signal ended.
func (e *Error) ExitCode() int { return 128 + int(e.Signal) }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT (Ctrl-C)"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// NotifyContext gives a context cancelled by the first SIGINT or SIGTERM,
// with an *Error as its cause. Later signals are taken and ignored until
// stop is called: git, which runs git dds, passes on the Ctrl-C that the
// terminal already sent git dds, and the second one must not cut the
// clean-up of the first short.
func NotifyContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-signals:
				if sig, ok := s.(syscall.Signal); ok {
					cancel(&Error{Signal: sig})
				}
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(signals)
		close(done)
		cancel(nil)
	}
}

// Of gives the interruption that cancelled ctx, or nil.
func Of(ctx context.Context) *Error {
	var e *Error
	if errors.As(context.Cause(ctx), &e) {
		return e
	}
	return nil
}
