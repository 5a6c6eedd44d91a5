package compose

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/compose-preflight/compose-preflight/internal/testutil"
)

// configOnly are oracle failures that come from `docker compose config`
// itself, not from loading: `up` loads these projects fine, so Load must
// too. Each names the reason.
var configOnly = map[string]string{
	"docker-compose/pkg/e2e/fixtures/build-test/ssh/compose.yaml": "the error is config's JSON marshalling of build.ssh, after a successful load",
}

// TestConformance loads every project of the shared corpus and compares
// the fixed published ports with what docker compose reported, and checks
// that projects docker compose rejects are rejected.
func TestConformance(t *testing.T) {
	corpus, records := testutil.Oracle(t)
	home := t.TempDir()
	var total, passed int
	var failures []string
	for _, r := range records {
		total++
		opts := Options{
			WorkingDir: corpus,
			ProjectDir: r.ProjectDir,
			Environ:    []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home},
		}
		opts.Files = append(opts.Files, r.Files...)
		for i := 0; i+1 < len(r.ExtraArgs); i += 2 {
			switch r.ExtraArgs[i] {
			case "--env-file":
				opts.EnvFiles = append(opts.EnvFiles, r.ExtraArgs[i+1])
			case "--profile":
				opts.Profiles = append(opts.Profiles, r.ExtraArgs[i+1])
			default:
				t.Fatalf("%s: unknown extra arg %q", r.Project, r.ExtraArgs[i])
			}
		}
		p, err := Load(context.Background(), opts)
		_, skipFail := configOnly[r.Project]
		switch {
		case !r.OK && !skipFail:
			if err == nil {
				failures = append(failures, fmt.Sprintf("%s: loaded, docker compose failed with %q", r.Project, r.Error))
				continue
			}
		case err != nil:
			failures = append(failures, fmt.Sprintf("%s: %v", r.Project, err))
			continue
		default:
			var want, got []string
			for _, pt := range r.Ports {
				if fixed(pt.Published) {
					want = append(want, fmt.Sprintf("%s %s:%s->%d/%s", pt.Service, pt.HostIP, pt.Published, pt.Target, pt.Protocol))
				}
			}
			for _, b := range p.Bindings {
				got = append(got, fmt.Sprintf("%s %s:%s->%d/%s", b.Service, b.HostIP, b.Published, b.Target, b.Protocol))
			}
			want = hostNetworkless(want, p)
			slices.Sort(want)
			want = slices.Compact(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				failures = append(failures, fmt.Sprintf("%s: bindings\n  got  %v\n  want %v", r.Project, got, want))
				continue
			}
		}
		passed++
	}
	t.Logf("conformance: %d/%d passed", passed, total)
	if len(failures) > 0 {
		t.Errorf("%d mismatches:\n%s", len(failures), strings.Join(failures, "\n"))
	}
}

// hostNetworkless drops the oracle's ports of services that Load reports
// separately (network_mode host, service:, container:), since docker
// compose config lists them but they are not published bindings.
func hostNetworkless(want []string, p *Project) []string {
	skip := map[string]bool{}
	for _, ns := range p.HostNetwork {
		skip[ns.Service] = true
	}
	for _, ns := range p.SharedNetwork {
		skip[ns.Service] = true
	}
	return slices.DeleteFunc(want, func(s string) bool {
		svc, _, _ := strings.Cut(s, " ")
		return skip[svc]
	})
}
