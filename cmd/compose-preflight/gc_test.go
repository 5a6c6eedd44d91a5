package main

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
	tuneGC([]string{"PATH=/usr/bin", "GOGCX=1"})
	if got := debug.SetGCPercent(100); got != 400 {
		t.Errorf("GC percent with no GOGC set = %d, want 400", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 192<<20 {
		t.Errorf("memory limit with no GOMEMLIMIT set = %d, want %d", got, 192<<20)
	}
	debug.SetMemoryLimit(limit)
	tuneGC([]string{"GOGC=50", "GOMEMLIMIT=1GiB"})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent with GOGC set = %d, want it left at 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("memory limit with GOMEMLIMIT set = %d, want it left at %d", got, limit)
	}
}
