package index

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSecondOpenWaitsForTheFirst(t *testing.T) {
	dir := t.TempDir()
	first, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.putRaw("k", []byte("from the first")); err != nil {
		t.Fatal(err)
	}
	notified := make(chan string, 2)
	type result struct {
		ix  *Index
		err error
	}
	second := make(chan result)
	go func() {
		ix, err := Open(context.Background(), dir, Options{
			Wait:   time.Minute,
			Notify: func(msg string) { notified <- msg },
		})
		second <- result{ix, err}
	}()
	// The second Open says it waits before it can get in.
	msg := <-notified
	if want := fmt.Sprintf("waiting for another git dds (pid %d)", os.Getpid()); !strings.Contains(msg, want) {
		t.Errorf("Notify(%q), want a message containing %q", msg, want)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	got := <-second
	if got.err != nil {
		t.Fatalf("the second Open failed: %v", got.err)
	}
	defer got.ix.Close()
	if v, _, err := got.ix.getRaw("k"); err != nil || string(v) != "from the first" {
		t.Errorf("the second process reads %q, %v", v, err)
	}
	if len(notified) != 0 {
		t.Errorf("Notify was called more than once")
	}
}

func TestBusyPastTheWait(t *testing.T) {
	dir := t.TempDir()
	openTestIndex(t, dir)
	calls := 0
	_, err := Open(context.Background(), dir, Options{Wait: 50 * time.Millisecond, Notify: func(string) { calls++ }})
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("error = %v, want one wrapping ErrBusy", err)
	}
	want := fmt.Sprintf("the index is busy: another git dds (pid %d) has held it for 0.05 s; try again when it finishes", os.Getpid())
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if calls != 1 {
		t.Errorf("Notify called %d times, want once", calls)
	}

	// A negative wait fails at once, without a word.
	_, err = Open(context.Background(), dir, Options{Wait: -1, Notify: func(string) { t.Error("Notify called") }})
	if !errors.Is(err, ErrBusy) {
		t.Errorf("with no wait: error = %v, want one wrapping ErrBusy", err)
	}
}

func TestWaitEndsWithTheContext(t *testing.T) {
	dir := t.TempDir()
	openTestIndex(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Open(ctx, dir, Options{Wait: time.Hour, Notify: func(string) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want one wrapping context.Canceled", err)
	}
}

// TestHelperProcess is not a test: the tests below run it in a process of
// its own, which opens the index in $DDS_DIR, says "locked", and holds the
// index until its standard input closes.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("DDS_TEST_HELPER_DIR")
	if dir == "" {
		t.Skip("run by other tests as a second process")
	}
	ix, err := Open(context.Background(), dir, Options{Wait: -1})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	if err := ix.putRaw("helper", []byte("was here")); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("locked")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	if err := ix.Close(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	os.Exit(0)
}

// startHolder starts a second process that holds the index in dir.
func startHolder(t *testing.T, dir string) (cmd *exec.Cmd, release func()) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "DDS_TEST_HELPER_DIR="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the helper process said %q (%v)", line, err)
	}
	return cmd, func() { stdin.Close() }
}

func TestAnotherProcessHoldsTheIndex(t *testing.T) {
	dir := t.TempDir()
	holder, release := startHolder(t, dir)
	notified := make(chan string, 1)
	opened := make(chan error, 1)
	var ix *Index
	go func() {
		var err error
		ix, err = Open(context.Background(), dir, Options{
			Wait:   time.Minute,
			Notify: func(msg string) { notified <- msg },
		})
		opened <- err
	}()
	msg := <-notified
	if want := "(pid " + strconv.Itoa(holder.Process.Pid) + ")"; !strings.Contains(msg, want) {
		t.Errorf("Notify(%q) does not name the holder %s", msg, want)
	}
	release()
	if err := holder.Wait(); err != nil {
		t.Fatalf("the helper process: %v", err)
	}
	if err := <-opened; err != nil {
		t.Fatalf("Open after the holder left: %v", err)
	}
	defer ix.Close()
	if v, _, err := ix.getRaw("helper"); err != nil || string(v) != "was here" {
		t.Errorf("GetRaw(helper) = %q, %v", v, err)
	}
}

// A holder killed mid-work leaves its pid behind but not its lock, and an
// index that the next Open recovers.
func TestKilledHolderBlocksNobody(t *testing.T) {
	dir := t.TempDir()
	holder, _ := startHolder(t, dir)
	if err := holder.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = holder.Wait()
	ix := openTestIndex(t, dir)
	if v, _, err := ix.getRaw("helper"); err != nil || string(v) != "was here" {
		t.Errorf("after the holder was killed, GetRaw(helper) = %q, %v", v, err)
	}
}
