//go:build linux

package realengine

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// podmanScenario is one situation a Podman engine is put in before
// `docker compose up` runs against its socket; Podman's own podman-compose
// exits 0 even when a port fails, so compose is the judge.
type podmanScenario struct {
	name   string
	files  map[string]string
	hold   []string
	others []string // compose files of other projects, up first
	before string   // this project, as last brought up
	// rootfulFails and rootlessFails are what up does, as measured.
	rootfulFails, rootlessFails bool
	// names is text the tool's report must hold when it finds a conflict:
	// the holder it names ({name} is the scenario's project).
	names string
	// privileged marks a scenario on port {low}, below 1024.
	privileged bool
	// noFix marks a conflict --fix leaves to a human (a port below 1024
	// on rootless Podman: moving it is the user's call).
	noFix bool
	// rootfulFixed is text the fix's report on rootful Podman must hold.
	rootfulFixed string
}

var podmanScenarios = []podmanScenario{
	{name: "free", files: one(svc("web", "", `"{p0}:80"`))},
	{name: "other-project", files: one(svc("web", "", `"{p0}:80"`)), others: []string{compose(svc("db", "", `"{p0}:5432"`))},
		rootfulFails: true, rootlessFails: true, names: "container {name}-other0-db-1"},
	{name: "other-project-udp", files: one(svc("dns", "", `"{p0}:53/udp"`)), others: []string{compose(svc("dns", "", `"{p0}:53/udp"`))},
		rootfulFails: true, rootlessFails: true, names: "container {name}-other0-dns-1"},
	{name: "other-project-other-loopback", files: one(svc("web", "", `"127.0.0.2:{p0}:80"`)), others: []string{compose(svc("db", "", `"127.0.0.1:{p0}:5432"`))}},
	{name: "host-loopback4", files: one(svc("web", "", `"{p0}:80"`)), hold: []string{"tcp4 127.0.0.1:{p0}"}, rootfulFails: true, rootlessFails: true},
	// conmon binds 0.0.0.0 only; rootlessport binds a dual-stack [::]
	{name: "host-loopback6", files: one(svc("web", "", `"{p0}:80"`)), hold: []string{"tcp6 [::1]:{p0}"}, rootlessFails: true},
	{name: "own-unchanged", files: one(svc("web", "", `"{p0}:80"`)), before: compose(svc("web", "", `"{p0}:80"`))},
	{name: "own-other-service", files: one(svc("web", "profiles: [\"old\"]", `"{p0}:80"`), svc("api", "", `"{p0}:8080"`)), before: compose(svc("web", "", `"{p0}:80"`)),
		rootfulFails: true, rootlessFails: true, names: "container {name}-web-1"},
	// rootful Podman leaves [::1]:{p1} free for a wildcard binding, so the
	// fix moves there; rootless Podman's dual-stack bind does not, so the
	// fix goes past it
	{name: "fix-beside-ipv6-holder", files: one(svc("web", "", `"{p0}:80"`)), hold: []string{"tcp4 127.0.0.1:{p0}", "tcp6 [::1]:{p1}"},
		rootfulFails: true, rootlessFails: true, rootfulFixed: "{p0} -> {p1} "},
	{name: "privileged", files: one(svc("web", "", `"{low}:80"`)), privileged: true, rootlessFails: true, noFix: true},
}

// podmanSocket returns the Podman API socket of mode, or skips (fails
// under PREFLIGHT_REQUIRE_PODMAN=1) when it does not answer or lacks the
// image.
func podmanSocket(t *testing.T, mode string) string {
	t.Helper()
	how := "bash .ci/engines podman-install && bash .ci/engines podman-start " + mode
	path := "/run/podman/podman.sock"
	if mode == "rootless" {
		u, err := user.Lookup("preflight-podman")
		if err != nil {
			skipOrFail(t, "PREFLIGHT_REQUIRE_PODMAN", "no rootless Podman user preflight-podman", how)
		}
		path = filepath.Join("/run/user", u.Uid, "podman", "podman.sock")
	}
	c := http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		},
	}}
	for _, p := range []string{"/_ping", "/v1.41/images/local/busybox/json"} {
		resp, err := c.Get("http://podman" + p)
		if err != nil {
			skipOrFail(t, "PREFLIGHT_REQUIRE_PODMAN", fmt.Sprintf("no %s Podman answers at %s: %v", mode, path, err), how)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			skipOrFail(t, "PREFLIGHT_REQUIRE_PODMAN", fmt.Sprintf("%s Podman at %s: GET %s: %s", mode, path, p, resp.Status), how)
		}
	}
	return "unix://" + path
}

func TestPodmanRootful(t *testing.T)  { testPodman(t, "rootful") }
func TestPodmanRootless(t *testing.T) { testPodman(t, "rootless") }

func testPodman(t *testing.T, mode string) {
	host := podmanSocket(t, mode)
	if _, code := runEnv(t, ".", nil, "docker", "compose", "version"); code != 0 {
		skipOrFail(t, "PREFLIGHT_REQUIRE_PODMAN", "docker compose is not installed", "bash .ci/engines install")
	}
	tool := builtTool(t)
	t.Run("found-by-CONTAINER_HOST", func(t *testing.T) {
		// Podman's own variable, with no DOCKER_HOST: the check asks Podman.
		dir := t.TempDir()
		writeFiles(t, dir, one(svc("web", "", `"40999:80"`)), strings.NewReplacer())
		out, code := runEnv(t, dir, []string{"DOCKER_HOST=", "CONTAINER_HOST=" + host}, tool, "--engine=required", "--engine-timeout=20s", "-p", "pfp-"+runID+"-found")
		if code == 2 || !strings.Contains(out, "its Podman engine") {
			t.Errorf("with CONTAINER_HOST=%s, compose-preflight exit %d, want it to check Podman:\n%s", host, code, out)
		}
	})
	t.Run("found-without-configuration", func(t *testing.T) {
		// No DOCKER_HOST, CONTAINER_HOST or context, and no Docker
		// socket: the check asks the socket `podman system service`
		// listens on, the rootless one in $XDG_RUNTIME_DIR first, then
		// /run/podman's. A container of another project on that engine
		// proves which engine was asked: the report names it.
		if _, err := os.Stat("/var/run/docker.sock"); err == nil {
			t.Skip("/var/run/docker.sock exists: Podman's sockets are asked only when there is no Docker socket (CI stops dockerd first)")
		}
		xdg := t.TempDir() // no Podman socket in it: the rootful one is found
		if mode == "rootless" {
			xdg = filepath.Dir(filepath.Dir(strings.TrimPrefix(host, "unix://")))
		}
		port := fmt.Sprint(enginePool.block(t, 1)[0])
		holder := "pfp-" + runID + "-" + mode[:5] + "-found-default"
		hdir := filepath.Join(t.TempDir(), holder)
		writeFiles(t, hdir, one(svc("db", "", `"`+port+`:5432"`)), strings.NewReplacer())
		onPodman := []string{"DOCKER_HOST=" + host}
		t.Cleanup(func() { runEnv(t, hdir, onPodman, "docker", "compose", "-p", holder, "down", "-t", "0") })
		if out, code := runEnv(t, hdir, onPodman, "docker", "compose", "-p", holder, "up", "-d"); code != 0 {
			t.Fatalf("bringing up %s failed:\n%s", holder, out)
		}
		dir := t.TempDir()
		writeFiles(t, dir, one(svc("web", "", `"`+port+`:80"`)), strings.NewReplacer())
		unset := []string{"DOCKER_HOST=", "CONTAINER_HOST=", "DOCKER_CONTEXT=", "DOCKER_CONFIG=" + t.TempDir(), "XDG_RUNTIME_DIR=" + xdg}
		out, code := runEnv(t, dir, unset, tool, "--engine=required", "--engine-timeout=20s")
		if code != 1 || !strings.Contains(out, "its Podman engine") || !strings.Contains(out, "container "+holder+"-db-1") {
			t.Errorf("with no engine configured, compose-preflight exit %d; want it to find %s Podman's socket and name container %s-db-1:\n%s", code, mode, holder, out)
		}
	})
	sem := make(chan struct{}, 2)
	for _, sc := range podmanScenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			runPodman(t, tool, host, mode, sc)
		})
	}
}

func runPodman(t *testing.T, tool, host, mode string, sc podmanScenario) {
	ps := enginePool.block(t, 2)
	name := "pfp-" + runID + "-" + mode[:5] + "-" + sc.name
	pairs := []string{"{name}", name, "{p0}", fmt.Sprint(ps[0]), "{p1}", fmt.Sprint(ps[1])}
	if sc.privileged {
		low := 0
		for p := 990; p > 900 && low == 0; p-- {
			if free(p) {
				low = p
			}
		}
		if low == 0 {
			t.Skip("no free port in 901-990")
		}
		pairs = append(pairs, "{low}", fmt.Sprint(low))
	}
	r := strings.NewReplacer(pairs...)
	envs := []string{"DOCKER_HOST=" + host}
	compose := func(dir, project string, args ...string) (string, int) {
		return runEnv(t, dir, envs, "docker", append([]string{"compose", "-p", project}, args...)...)
	}
	upOn := func(dir, project string) (bool, string) {
		out, code := compose(dir, project, "up", "-d", "--quiet-pull")
		if code == 0 {
			return false, out
		}
		if !enginePortError.MatchString(out) {
			t.Fatalf("docker compose up failed, not on a port (exit %d):\n%s", code, out)
		}
		return true, out
	}
	downOn := func(dir, project string) {
		if out, code := compose(dir, project, "down", "-t", "0", "--remove-orphans", "-v"); code != 0 {
			t.Logf("docker compose -p %s down: exit %d\n%s", project, code, out)
		}
	}
	for i, o := range sc.others {
		oname := fmt.Sprintf("%s-other%d", name, i)
		odir := filepath.Join(t.TempDir(), oname)
		writeFiles(t, odir, map[string]string{"compose.yaml": o}, r)
		t.Cleanup(func() { downOn(odir, oname) })
		if failed, out := upOn(odir, oname); failed {
			t.Fatalf("bringing up %s failed:\n%s", oname, out)
		}
	}
	dir := filepath.Join(t.TempDir(), name)
	t.Cleanup(func() { downOn(dir, name) })
	if sc.before != "" {
		writeFiles(t, dir, map[string]string{"compose.yaml": sc.before}, r)
		if failed, out := upOn(dir, name); failed {
			t.Fatalf("bringing up the earlier version failed:\n%s", out)
		}
	}
	writeFiles(t, dir, sc.files, r)
	for _, h := range sc.hold {
		hold(t, r.Replace(h))
	}
	report, code := runEnv(t, dir, envs, tool, "--engine=required", "--engine-timeout=20s")
	if code != 0 && code != 1 {
		t.Fatalf("compose-preflight exit %d:\n%s", code, report)
	}
	if !strings.Contains(report, "its Podman engine") {
		t.Errorf("the report does not say it checked Podman:\n%s", report)
	}
	var fixDir, fixReport string
	fixCode := -1
	if code == 1 && !sc.noFix {
		fixDir = copyDir(t, dir)
		fixReport, fixCode = runEnv(t, fixDir, envs, tool, "--engine=required", "--engine-timeout=20s", "--fix")
	}
	failed, upOut := upOn(dir, name)
	if (code == 1) != failed {
		t.Errorf("compose-preflight says %s, but docker compose up on %s Podman %s\n--- compose-preflight\n%s--- docker compose up\n%s",
			describe(code), mode, map[bool]string{true: "failed on a port", false: "succeeded"}[failed], report, upOut)
	}
	want := sc.rootfulFails
	if mode == "rootless" {
		want = sc.rootlessFails
	}
	if want != failed {
		t.Errorf("the scenario expects up on %s Podman to %s, but it %s:\n%s", mode, map[bool]string{true: "fail", false: "succeed"}[want],
			map[bool]string{true: "failed", false: "succeeded"}[failed], upOut)
	}
	if code == 1 && sc.names != "" && !strings.Contains(report, r.Replace(sc.names)) {
		t.Errorf("the report does not name %q:\n%s", r.Replace(sc.names), report)
	}
	if fixCode >= 0 {
		// the fix's copy is the same project (same folder name): up runs
		// where the conflicting version ran
		downOn(dir, name)
		if fixCode != 0 {
			t.Errorf("--fix on %s Podman left conflicts (exit %d):\n%s", mode, fixCode, fixReport)
		} else if mode == "rootful" && sc.rootfulFixed != "" && !strings.Contains(fixReport, r.Replace(sc.rootfulFixed)) {
			t.Errorf("--fix on rootful Podman did not write %q:\n%s", r.Replace(sc.rootfulFixed), fixReport)
		} else if failed, out := upOn(fixDir, name); failed {
			t.Errorf("after --fix, docker compose up on %s Podman still fails on a port\n--- --fix\n%s--- up\n%s", mode, fixReport, out)
		}
	}
	if os.Getenv("PREFLIGHT_REALENGINE_VERBOSE") != "" {
		t.Logf("--- compose-preflight\n%s--- --fix\n%s--- up\n%s", report, fixReport, upOut)
	}
}
