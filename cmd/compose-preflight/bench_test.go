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
	bins := buildBench(b, ".", "./testdata/bench/loadonly")
	benchAgainst(b, "loadonly", filepath.Join(bins, "compose-preflight"), bins, filepath.Join(bins, "loadonly"), "compose.yaml")
}

// BenchmarkVsCompose is BenchmarkProcess against what users compare the
// tool with: `docker compose config -q` on the same project, which loads
// and validates it the same way. It needs the docker CLI with its compose
// plugin (found through the real HOME); it is skipped without them.
func BenchmarkVsCompose(b *testing.B) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		b.Skip("no docker CLI")
	}
	if out, err := exec.Command(docker, "compose", "version").CombinedOutput(); err != nil {
		b.Skipf("no docker compose plugin: %v %s", err, out)
	}
	bins := buildBench(b, ".")
	benchAgainst(b, "compose", filepath.Join(bins, "compose-preflight"), bins, docker, "compose", "config", "-q")
}

// buildBench builds the packages into a temporary folder and returns it.
func buildBench(b *testing.B, pkgs ...string) string {
	bins := b.TempDir()
	for _, pkg := range pkgs {
		out, err := exec.Command("go", "build", "-o", bins, pkg).CombinedOutput()
		if err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return bins
}

// benchAgainst runs preflight (with HOME set to home) and the baseline
// command (with the process's own environment, so that docker finds its
// plugins) alternately in the bench project, under the socket load, and
// reports both medians and the median per-iteration ratio.
func benchAgainst(b *testing.B, name, preflight, home string, baseline ...string) {
	dir, err := filepath.Abs(benchProject)
	if err != nil {
		b.Fatal(err)
	}
	testutil.HoldLoad(b, 2000, 10000)
	run := func(env []string, argv ...string) time.Duration {
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
	preflightEnv := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	baseEnv := preflightEnv
	if name == "compose" {
		baseEnv = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	}
	var base, cp, ratio []float64
	i := 0
	for b.Loop() {
		var tb, tc time.Duration
		if i%2 == 0 {
			tb, tc = run(baseEnv, baseline...), run(preflightEnv, preflight)
		} else {
			tc, tb = run(preflightEnv, preflight), run(baseEnv, baseline...)
		}
		i++
		base = append(base, tb.Seconds()*1000)
		cp = append(cp, tc.Seconds()*1000)
		ratio = append(ratio, tc.Seconds()/tb.Seconds())
	}
	b.ReportMetric(median(base), name+"-ms")
	b.ReportMetric(median(cp), "preflight-ms")
	b.ReportMetric(median(ratio), "ratio")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
