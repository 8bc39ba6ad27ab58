package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/git-dds/git-dds/internal/config"
)

// DefaultLeaseTTL is how long a lease holds without a refresh: its holder
// refreshes it every third of that while it computes, so only a holder
// that died lets it lapse.
const DefaultLeaseTTL = 60 * time.Second

// MaxLeaseTTL bounds a lease's lifetime. A lease in the remote that says
// it holds for longer than that from now (a minute's clock skew aside) was
// not written by git dds: it counts as lapsed, so that a forged lease
// cannot stop every clone from computing. dds.leaseSeconds goes no higher.
const MaxLeaseTTL = config.MaxLeaseSeconds * time.Second

// clockSkew is how far the clocks of machines sharing a remote may differ.
const clockSkew = time.Minute

// Polling for the result of a computation held elsewhere starts fast and
// slows down to this.
const (
	firstPoll = 250 * time.Millisecond
	maxPoll   = 2 * time.Second
)

// leaseBody is what leases/<signature> holds. Expires is by the holder's
// clock: machines sharing a remote are assumed to keep time within seconds
// of each other, far less than a lease lasts.
type leaseBody struct {
	Host string `json:"host"`
	Pid  int    `json:"pid"`
	// Boot names the holder's boot of its machine (Linux's boot_id): a
	// lease of the same boot whose pid is gone was left by a crash, and is
	// taken over at once rather than once it lapses. Host names alone can
	// repeat across machines.
	Boot    string    `json:"boot,omitempty"`
	Stage   string    `json:"stage"`
	Since   time.Time `json:"since"`
	Expires time.Time `json:"expires"`
}

// Holder is who holds a lease another process waits on.
type Holder struct {
	Host  string
	Pid   int
	Since time.Time
}

func (h Holder) String() string {
	return fmt.Sprintf("%s (pid %d) since %s", h.Host, h.Pid, h.Since.Local().Format(time.TimeOnly))
}

// sane reports whether a lease read from the remote is one git dds could
// have written: a host name fit to print, a process id, and an expiry
// within a lease's lifetime of now.
func (b *leaseBody) sane(now time.Time) bool {
	return !b.Expires.IsZero() && !b.Expires.After(now.Add(MaxLeaseTTL+clockSkew)) &&
		b.Pid > 0 && len(b.Host) <= 255 && len(b.Boot) <= 64 &&
		!strings.ContainsFunc(b.Host+b.Boot, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// Lease is the right to compute one signature for the whole remote.
type Lease struct {
	r    *Remote
	sig  string
	body leaseBody
	stop chan struct{}
	done chan struct{}
}

// Acquire takes the lease on sig, so that this process computes it and
// every other one sharing the remote waits for its result. When another
// process holds a live lease, Acquire calls waiting once and waits until
// the record of sig appears in the remote (computed is true, and there is
// no lease), or the lease is released or lapses, which it then takes. A
// lapsed lease is taken over only if it is still the same one, so two
// waiters cannot both take the same one over.
func (r *Remote) Acquire(ctx context.Context, sig, stage string, waiting func(Holder)) (lease *Lease, computed bool, err error) {
	host, _ := os.Hostname()
	boot := bootID()
	told := false
	poll := firstPoll
	for {
		now := time.Now().UTC()
		body := leaseBody{Host: host, Pid: os.Getpid(), Boot: boot, Stage: stage, Since: now, Expires: now.Add(r.LeaseTTL)}
		data, _ := json.Marshal(body)
		err := r.backend.Create(ctx, leaseKey(sig), data)
		if err == nil {
			// The previous holder may have recorded it between the
			// caller's look and this lease.
			done, err := r.backend.Exists(ctx, recordKey(sig))
			if err != nil || done {
				_ = r.backend.Delete(context.WithoutCancel(ctx), leaseKey(sig))
				return nil, done, r.fail("looking up the record of "+sig, err)
			}
			l := &Lease{r: r, sig: sig, body: body, stop: make(chan struct{}), done: make(chan struct{})}
			go l.refresh()
			return l, false, nil
		}
		if !errors.Is(err, ErrExists) {
			return nil, false, r.fail("taking the lease on "+sig, err)
		}
		held, raw, err := r.readLease(ctx, sig)
		if errors.Is(err, ErrNotExist) {
			continue // released since: try again at once
		}
		if err != nil {
			return nil, false, err
		}
		if lapsed(held, boot) {
			// Its holder died or the body is unreadable: take it over,
			// unless someone else did since.
			if _, again, err := r.readLease(ctx, sig); err == nil && bytes.Equal(raw, again) {
				if err := r.backend.Delete(ctx, leaseKey(sig)); err != nil {
					return nil, false, r.fail("taking over the lapsed lease on "+sig, err)
				}
			}
			continue
		}
		if !told {
			waiting(Holder{Host: held.Host, Pid: held.Pid, Since: held.Since})
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-time.After(poll):
		}
		poll = min(2*poll, maxPoll)
		done, err := r.backend.Exists(ctx, recordKey(sig))
		if err != nil {
			return nil, false, r.fail("looking up the record of "+sig, err)
		}
		if done {
			return nil, true, nil
		}
	}
}

// LeaseHolder gives who holds a live lease on sig, or nil when nobody
// does: no lease, a lapsed one, an unreadable or insane one, or one left
// by a process of this machine's boot that is gone. Those are the leases
// Acquire would take over, so whatever it would not take over is live,
// and what it would is not.
func (r *Remote) LeaseHolder(ctx context.Context, sig string) (*Holder, error) {
	held, _, err := r.readLease(ctx, sig)
	if errors.Is(err, ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if lapsed(held, bootID()) {
		return nil, nil
	}
	return &Holder{Host: held.Host, Pid: held.Pid, Since: held.Since}, nil
}

// lapsed reports whether a lease read by readLease holds no more: its
// body was unreadable (nil), it expired, or its holder was a process of
// this boot (boot) that is gone.
func lapsed(held *leaseBody, boot string) bool {
	return held == nil || time.Now().After(held.Expires) || held.Boot != "" && held.Boot == boot && processGone(held.Pid)
}

// bootID names this boot of this machine, or "" where that is unknown.
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// readLease gives the lease on sig and its raw bytes; a body that does not
// decode, or is not sane, comes back nil, as good as lapsed.
func (r *Remote) readLease(ctx context.Context, sig string) (*leaseBody, []byte, error) {
	rc, err := r.backend.Open(ctx, leaseKey(sig))
	if err != nil {
		if errors.Is(err, ErrNotExist) {
			return nil, nil, err
		}
		return nil, nil, r.fail("reading the lease on "+sig, err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, 64<<10))
	if err != nil {
		return nil, nil, r.fail("reading the lease on "+sig, err)
	}
	var body leaseBody
	if json.Unmarshal(raw, &body) != nil || !body.sane(time.Now()) {
		return nil, raw, nil
	}
	return &body, raw, nil
}

// refresh pushes the lease's expiry forward while its holder computes. A
// failed refresh is tried again at the next tick; should the lease lapse
// meanwhile, the worst outcome is a second computation of the same
// signature, which records the same result.
func (l *Lease) refresh() {
	defer close(l.done)
	tick := time.NewTicker(l.r.LeaseTTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
			l.body.Expires = time.Now().UTC().Add(l.r.LeaseTTL)
			data, _ := json.Marshal(l.body)
			ctx, cancel := context.WithTimeout(context.Background(), l.r.LeaseTTL/3)
			_ = l.r.backend.Write(ctx, leaseKey(l.sig), bytes.NewReader(data), int64(len(data)))
			cancel()
		}
	}
}

// Release gives the lease up, whether or not the computation succeeded:
// a waiter then finds the record, or takes the lease and computes.
func (l *Lease) Release(ctx context.Context) error {
	close(l.stop)
	<-l.done
	// Even when ctx was cancelled (Ctrl-C), the lease must go, or the
	// others wait for it to lapse.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return l.r.fail("releasing the lease on "+l.sig, l.r.backend.Delete(ctx, leaseKey(l.sig)))
}
