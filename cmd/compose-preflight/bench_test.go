package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
// with compose-go (testdata/bench/loadonly), both started fresh each time.
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
	for _, c := range []struct {
		name string
		argv []string
	}{
		{"loadonly", []string{filepath.Join(bins, "loadonly"), "compose.yaml"}},
		{"compose-preflight", []string{filepath.Join(bins, "compose-preflight")}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command(c.argv[0], c.argv[1:]...)
				cmd.Dir = dir
				cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + bins}
				if err := cmd.Run(); err != nil {
					if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == exitUsage {
						b.Fatalf("%s: %v", c.name, err)
					}
				}
			}
		})
	}
}
