//go:build profile

package cli

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"time"
)

// startProfile writes a CPU profile to $DDS_CPUPROFILE, a profile of
// the memory allocated to $DDS_MEMPROFILE and an execution trace to
// $DDS_TRACE (which goroutine ran when: what a command waits on), in a
// binary built with
// `-tags profile`, so that a benchmark can be profiled through the real
// command (hooks included) without a cost in the default build.
func startProfile() func() {
	var stops []func()
	stops = append(stops, startTo("DDS_CPUPROFILE", "cpu profile", pprof.StartCPUProfile, pprof.StopCPUProfile)...)
	stops = append(stops, startTo("DDS_TRACE", "trace", trace.Start, trace.Stop)...)
	if path := os.Getenv("DDS_MEMPROFILE"); path != "" {
		runtime.MemProfileRate = 4096
		stops = append(stops, func() {
			runtime.GC() // the profile counts what the last collection saw
			f, err := os.Create(path)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "git dds: memory profile: %v\n", err)
			}
		})
	}
	if path := os.Getenv("DDS_HEAPPROFILE"); path != "" {
		stops = append(stops, peakHeapProfile(path))
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}

// peakHeapProfile writes to path the heap in use after the collection
// that found the most live memory: the peak is what a command's resident
// memory follows, and the profile at exit sees the heap emptied. It polls
// the collector's count, and writes each time a collection leaves more
// live than any before; the last one written stays.
func peakHeapProfile(path string) (stop func()) {
	runtime.MemProfileRate = 4096
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var (
			stats    runtime.MemStats
			lastGC   uint32
			mostLive uint64
		)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			runtime.ReadMemStats(&stats)
			if stats.NumGC == lastGC {
				continue
			}
			lastGC = stats.NumGC
			// HeapAlloc right after a collection is close to what it
			// found live.
			if stats.HeapAlloc <= mostLive {
				continue
			}
			mostLive = stats.HeapAlloc
			if f, err := os.Create(path); err == nil {
				_ = pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// startTo starts what start records into the file the variable env
// names, if it names one, and gives what stops it and closes the file.
func startTo(env, what string, start func(io.Writer) error, stop func()) []func() {
	path := os.Getenv(env)
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err == nil {
		err = start(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "git dds: %s: %v\n", what, err)
		return nil
	}
	return []func(){func() { stop(); f.Close() }}
}
