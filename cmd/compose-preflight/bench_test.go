package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/compose-preflight/compose-preflight/internal/testutil"
)

// benchProject is the speed bar's project: ten services, twenty published
// ports, variables from .env.
const benchProject = "testdata/bench/project"

// BenchmarkCheck is a whole check in-process: load, list this host's
// sockets, find, owners, report.
func BenchmarkCheck(b *testing.B) {
	dir, err := filepath.Abs(benchProject)
	if err != nil {
		b.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.TempDir()}
	for b.Loop() {
		sio := stdio{stdout: io.Discard, stderr: io.Discard, environ: env, cwd: dir, root: b.TempDir()}
		if code := run(b.Context(), []string{"compose-preflight", "--engine=off"}, sio); code == exitUsage {
			b.Fatalf("exit %d", code)
		}
	}
}

// BenchmarkProcess is the speed bar of the README: the whole
// compose-preflight process (engine on auto: with no engine here, it
// answers at once) against a program that only loads the same project
// with compose-go (testdata/bench/loadonly), both started fresh, on a host
// holding 2,000 listening sockets and 10,000 established connections.
// Each iteration runs both, in alternating order, so that a machine
// getting busier or quieter weighs on both alike; the metrics are the
// medians of each one's wall time and of the per-iteration ratio.
func BenchmarkProcess(b *testing.B) {
	dir, err := filepath.Abs(benchProject)
	if err != nil {
		b.Fatal(err)
	}
	bins := b.TempDir()
	for _, pkg := range []string{".", "./testdata/bench/loadonly"} {
		out, err := exec.Command("go", "build", "-o", bins, pkg).CombinedOutput()
		if err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	testutil.HoldLoad(b, 2000, 10000)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + bins}
	run := func(argv ...string) time.Duration {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = dir
		cmd.Env = env
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		if err != nil {
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == exitUsage {
				b.Fatalf("%s: %v", argv[0], err)
			}
		}
		return took
	}
	loadOnly := []string{filepath.Join(bins, "loadonly"), "compose.yaml"}
	preflight := []string{filepath.Join(bins, "compose-preflight")}
	var lo, cp, ratio []float64
	i := 0
	for b.Loop() {
		var tl, tc time.Duration
		if i%2 == 0 {
			tl, tc = run(loadOnly...), run(preflight...)
		} else {
			tc, tl = run(preflight...), run(loadOnly...)
		}
		i++
		lo = append(lo, tl.Seconds()*1000)
		cp = append(cp, tc.Seconds()*1000)
		ratio = append(ratio, tc.Seconds()/tl.Seconds())
	}
	b.ReportMetric(median(lo), "loadonly-ms")
	b.ReportMetric(median(cp), "preflight-ms")
	b.ReportMetric(median(ratio), "ratio")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
