//go:build !windows

// Windows has no peak RSS in its process usage: these benchmarks are
// for the other systems.

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/compose-preflight/compose-preflight/compose"
)

// composePlugin is the docker compose CLI plugin where the docker CLI
// looks for it (.ci/engines install puts it in ~/.docker/cli-plugins);
// BenchmarkServices compares with it when there is one, run directly.
func composePlugin() (string, bool) {
	var dirs []string
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		dirs = append(dirs, filepath.Join(d, "cli-plugins"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".docker", "cli-plugins"))
	}
	dirs = append(dirs, "/usr/local/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins", "/usr/lib/docker/cli-plugins")
	for _, d := range dirs {
		p := filepath.Join(d, "docker-compose")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, true
		}
	}
	return "", false
}

// buildBinary builds compose-preflight once for a benchmark.
func buildBinary(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	if out, err := exec.Command("go", "build", "-o", dir, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return filepath.Join(dir, "compose-preflight")
}

// runProcess runs argv in dir and returns its wall time and peak RSS.
func runProcess(b *testing.B, dir string, env []string, argv ...string) (time.Duration, float64) {
	b.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == exitUsage {
			b.Fatalf("%s: %v\n%s", argv[0], err, out)
		}
	}
	rss := 0.0
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	return took, rss
}

// BenchmarkPublished is a whole compose-preflight process on one service
// publishing 1, 1k, 16k and 64k ports as one expanded range (the last is
// "1-65535:1-65535"), none of them held. It reports the process's wall
// time and peak RSS, and the time of compose.Load alone (compose-go's load
// with the source index), which is most of it.
func BenchmarkPublished(b *testing.B) {
	bin := buildBinary(b)
	for _, n := range []int{1, 1000, 16384, 65535} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dir := b.TempDir()
			first := 65536 - n
			entry := fmt.Sprintf("%d-65535:%d-65535", first, first)
			if n == 1 {
				entry = "65535:80"
			}
			yaml := "services:\n  media:\n    image: example/media\n    ports:\n      - \"" + entry + "\"\n"
			if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(yaml), 0o644); err != nil {
				b.Fatal(err)
			}
			env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
			var walls, rsss, loads []float64
			for b.Loop() {
				start := time.Now()
				if _, err := compose.Load(b.Context(), compose.Options{WorkingDir: dir, Environ: env}); err != nil {
					b.Fatal(err)
				}
				loads = append(loads, time.Since(start).Seconds()*1000)
				wall, rss := runProcess(b, dir, env, bin, "--engine=off")
				walls = append(walls, wall.Seconds()*1000)
				rsss = append(rsss, rss)
			}
			b.ReportMetric(median(walls), "process-ms")
			b.ReportMetric(median(loads), "load-ms")
			b.ReportMetric(median(rsss), "maxrss-MiB")
		})
	}
}

// BenchmarkServices is a whole compose-preflight process on a project of
// 10, 100 and 1,000 services with one published port each, against
// `docker compose config -q` on the same project (when the compose
// plugin is there), alternately, each started fresh; the metrics are the medians of
// each one's wall time and of the per-iteration ratio.
func BenchmarkServices(b *testing.B) {
	bin := buildBinary(b)
	composeBinary, haveCompose := composePlugin()
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dir := b.TempDir()
			var y strings.Builder
			y.WriteString("services:\n")
			for i := range n {
				fmt.Fprintf(&y, "  svc%d:\n    image: example/app\n    ports:\n      - \"%d:80\"\n", i, 10000+i)
			}
			if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(y.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "DOCKER_CONFIG=" + dir}
			var ours, theirs, ratio []float64
			i := 0
			for b.Loop() {
				var tc, tp time.Duration
				if !haveCompose {
					tp, _ = runProcess(b, dir, env, bin, "--engine=off")
				} else if i%2 == 0 {
					tc, _ = runProcess(b, dir, env, composeBinary, "config", "-q")
					tp, _ = runProcess(b, dir, env, bin, "--engine=off")
				} else {
					tp, _ = runProcess(b, dir, env, bin, "--engine=off")
					tc, _ = runProcess(b, dir, env, composeBinary, "config", "-q")
				}
				i++
				ours = append(ours, tp.Seconds()*1000)
				if haveCompose {
					theirs = append(theirs, tc.Seconds()*1000)
					ratio = append(ratio, tp.Seconds()/tc.Seconds())
				}
			}
			b.ReportMetric(median(ours), "preflight-ms")
			if haveCompose {
				b.ReportMetric(median(theirs), "compose-config-ms")
				b.ReportMetric(median(ratio), "ratio")
			}
		})
	}
}
