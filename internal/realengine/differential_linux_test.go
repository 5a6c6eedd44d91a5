//go:build linux

package realengine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// outcome is what `docker compose up -d` does in a scenario, as measured;
// a scenario states it so that it proves what it claims.
type outcome int

const (
	upSucceeds outcome = iota
	upFails
	// upFailsBefore27 fails on engines older than Docker 27 (API 1.46),
	// whose port allocator tries one port of a host range without
	// retrying (moby#44136), and succeeds since moby#47871.
	upFailsBefore27
	// upFailsSince27 fails on engines since Docker 27 (API 1.46), which
	// give every binding of one container port the same picked host port
	// (measured on 26.1.5, 27.0.3, 27.5.1 and 28.0.0: .ci/engines releases).
	upFailsSince27
	// upFailsWithProxy fails where the userland proxy binds [::]:P
	// beside 0.0.0.0:P, and succeeds where the engine binds IPv4 only.
	upFailsWithProxy
)

// scenario is one situation the engine is put in before up.
type scenario struct {
	name  string
	files map[string]string // the project, {pN} standing for its ports
	// args go to the tool and to docker compose alike (--profile, -f).
	args []string
	// hold are host sockets held while the tool and up run (see hold).
	hold []string
	// others are other compose projects brought up first.
	others []other
	// before is this project's compose.yaml as it was last brought up:
	// its containers are running when the tool and up run.
	before string
	// cycles brings the project up and down this many times first: the
	// engine keeps its place in each host range between runs.
	cycles int
	want   outcome
	// noFix marks a conflict --fix leaves to a human (a host IP that is
	// not this machine's): up is not expected to succeed after it.
	noFix bool
}

type other struct {
	compose string
	stopped bool // brought up, then stopped: it holds no port
}

// svc is a service of the busybox image that publishes ports; extra is
// more of its YAML, indented under the service.
func svc(name, extra string, ports ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %s:\n    image: %s\n    command: [\"sleep\", \"3600\"]\n", name, image)
	for _, l := range strings.Split(strings.TrimSpace(extra), "\n") {
		if l != "" {
			b.WriteString("    " + l + "\n")
		}
	}
	if len(ports) > 0 {
		b.WriteString("    ports:\n")
		for _, p := range ports {
			fmt.Fprintf(&b, "      - %s\n", p)
		}
	}
	return b.String()
}

func compose(services ...string) string { return "services:\n" + strings.Join(services, "") }

func one(services ...string) map[string]string {
	return map[string]string{"compose.yaml": compose(services...)}
}

var scenarios = []scenario{
	// Host sockets against a plain publish (0.0.0.0:P and [::]:P).
	{name: "free", files: one(svc("web", "", `"{p0}:80"`)), want: upSucceeds},
	{name: "host-loopback4", files: one(svc("web", "", `"{p0}:80"`)), hold: []string{"tcp4 127.0.0.1:{p0}"}, want: upFails},
	{name: "host-any4", files: one(svc("web", "", `"{p0}:80"`)), hold: []string{"tcp4 0.0.0.0:{p0}"}, want: upFails},
	{name: "host-loopback6-ipv6-half", files: one(svc("web", "", `"{p0}:80"`)), hold: []string{"tcp6 [::1]:{p0}"}, want: upFailsWithProxy},
	{name: "host-any6only-vs-loopback4", files: one(svc("web", "", `"127.0.0.1:{p0}:80"`)), hold: []string{"tcp6 [::]:{p0}"}, want: upSucceeds},
	{name: "host-dualstack-vs-loopback4", files: one(svc("web", "", `"127.0.0.1:{p0}:80"`)), hold: []string{"tcp [::]:{p0}"}, want: upFails},
	{name: "host-other-loopback", files: one(svc("web", "", `"127.0.0.2:{p0}:80"`)), hold: []string{"tcp4 127.0.0.1:{p0}"}, want: upSucceeds},
	{name: "host-same-loopback", files: one(svc("web", "", `"127.0.0.1:{p0}:80"`)), hold: []string{"tcp4 127.0.0.1:{p0}"}, want: upFails},
	{name: "host-any4-vs-loopback4", files: one(svc("web", "", `"127.0.0.1:{p0}:80"`)), hold: []string{"tcp4 0.0.0.0:{p0}"}, want: upFails},
	{name: "host-bound-only", files: one(svc("web", "", `"{p0}:80"`)), hold: []string{"bound4 127.0.0.1:{p0}"}, want: upFails},
	{name: "host-bound-only-reuseaddr", files: one(svc("web", "", `"{p0}:80"`)), hold: []string{"bound4reuse 127.0.0.1:{p0}"}, want: upSucceeds},
	{name: "host-client-socket", files: one(svc("web", "", `"127.0.0.1:{p0}:80"`)), hold: []string{"client4 127.0.0.1:{p0}"}, want: upFails},
	{name: "host-ipv6-loopback", files: one(svc("web", "", `"[::1]:{p0}:80"`)), hold: []string{"tcp6 [::1]:{p0}"}, want: upFailsWithProxy},
	{name: "host-ipv6-vs-ipv4", files: one(svc("web", "", `"[::1]:{p0}:80"`)), hold: []string{"tcp4 127.0.0.1:{p0}"}, want: upSucceeds},
	{name: "host-ip-not-here", files: one(svc("web", "", `"192.0.2.10:{p0}:80"`)), want: upFails, noFix: true},

	// UDP.
	{name: "udp-held", files: one(svc("dns", "", `"{p0}:53/udp"`)), hold: []string{"udp4 0.0.0.0:{p0}"}, want: upFails},
	{name: "udp-held-tcp-published", files: one(svc("web", "", `"{p0}:80"`)), hold: []string{"udp4 0.0.0.0:{p0}"}, want: upSucceeds},
	{name: "tcp-held-udp-published", files: one(svc("dns", "", `"{p0}:53/udp"`)), hold: []string{"tcp4 0.0.0.0:{p0}"}, want: upSucceeds},
	{name: "udp-loopback-vs-any", files: one(svc("dns", "", `"127.0.0.1:{p0}:53/udp"`)), hold: []string{"udp4 0.0.0.0:{p0}"}, want: upFails},

	// Containers of other projects.
	{name: "other-project-running", files: one(svc("web", "", `"{p0}:80"`)), others: []other{{compose: compose(svc("db", "", `"{p0}:5432"`))}}, want: upFails},
	{name: "other-project-stopped", files: one(svc("web", "", `"{p0}:80"`)), others: []other{{compose: compose(svc("db", "", `"{p0}:5432"`)), stopped: true}}, want: upSucceeds},
	{name: "other-project-loopback-vs-any", files: one(svc("web", "", `"{p0}:80"`)), others: []other{{compose: compose(svc("db", "", `"127.0.0.1:{p0}:5432"`))}}, want: upFails},
	{name: "other-project-other-loopback", files: one(svc("web", "", `"127.0.0.2:{p0}:80"`)), others: []other{{compose: compose(svc("db", "", `"127.0.0.1:{p0}:5432"`))}}, want: upSucceeds},
	{name: "other-project-udp-vs-tcp", files: one(svc("web", "", `"{p0}:80"`)), others: []other{{compose: compose(svc("dns", "", `"{p0}:53/udp"`))}}, want: upSucceeds},

	// This project's own containers.
	{name: "own-unchanged", files: one(svc("web", "", `"{p0}:80"`)), before: compose(svc("web", "", `"{p0}:80"`)), want: upSucceeds},
	{name: "own-host-ip-changed", files: one(svc("web", "", `"127.0.0.1:{p0}:80"`)), before: compose(svc("web", "", `"{p0}:80"`)), want: upSucceeds},
	{name: "own-target-changed", files: one(svc("web", "", `"{p0}:81"`)), before: compose(svc("web", "", `"{p0}:80"`)), want: upSucceeds},
	{name: "own-other-service", files: one(svc("web", "profiles: [\"old\"]", `"{p0}:80"`), svc("api", "", `"{p0}:8080"`)), before: compose(svc("web", "", `"{p0}:80"`)), want: upFails},

	// Host ranges.
	{name: "range-first-held", files: one(svc("web", "", `"{p0}-{p2}:80"`)), hold: []string{"tcp4 0.0.0.0:{p0}"}, want: upFailsBefore27},
	{name: "range-middle-held", files: one(svc("web", "", `"{p0}-{p2}:80"`)), hold: []string{"tcp4 0.0.0.0:{p1}"}, want: upSucceeds},
	{name: "range-all-held", files: one(svc("web", "", `"{p0}-{p2}:80"`)), hold: []string{"tcp4 0.0.0.0:{p0}", "tcp4 0.0.0.0:{p1}", "tcp4 0.0.0.0:{p2}"}, want: upFails},
	{name: "range-first-held-by-container", files: one(svc("web", "", `"{p0}-{p2}:80"`)), others: []other{{compose: compose(svc("db", "", `"{p0}:5432"`))}}, want: upSucceeds},
	{name: "range-replicas-too-few", files: one(svc("web", "scale: 2", `"{p0}-{p1}:80"`)), hold: []string{"tcp4 0.0.0.0:{p1}"}, want: upFails},
	{name: "range-replicas-enough", files: one(svc("web", "scale: 2", `"{p0}-{p2}:80"`)), want: upSucceeds},
	{name: "expanded-range-held", files: one(svc("web", "", `"{p0}-{p1}:80-81"`)), hold: []string{"tcp4 127.0.0.1:{p1}"}, want: upFails},
	// A range beside the project's own fixed port: the engine hands out a
	// range's ports in order and keeps its place between runs, so whether
	// up fails depends on that place (start order): after one run, the
	// next up takes the range's second port, which the fixed one holds.
	{name: "range-next-port-fixed-loopback", files: one(svc("a", "", `"{p0}-{p3}:80"`), svc("b", "depends_on: [a]", `"127.0.0.1:{p1}:8001"`)), cycles: 1, want: upFails},
	{name: "range-next-port-fixed", files: one(svc("a", "", `"{p0}-{p3}:80"`), svc("b", "depends_on: [a]", `"{p1}:5432"`)), cycles: 1, want: upFails},
	{name: "udp-range-first-held", files: one(svc("media", "", `"{p0}-{p2}:5000/udp"`)), hold: []string{"udp4 0.0.0.0:{p0}"}, want: upFailsBefore27},

	// The project against itself.
	{name: "duplicate-services", files: one(svc("web", "", `"{p0}:80"`), svc("api", "", `"{p0}:8080"`)), want: upFails},
	{name: "duplicate-loopback-vs-any", files: one(svc("web", "", `"127.0.0.1:{p0}:80"`), svc("api", "", `"{p0}:8080"`)), want: upFails},
	{name: "duplicate-two-loopbacks", files: one(svc("web", "", `"127.0.0.1:{p0}:80"`), svc("api", "", `"127.0.0.2:{p0}:8080"`)), want: upSucceeds},
	{name: "short-and-long-syntax", files: one(svc("web", "", `"{p0}:80"`, "target: 80\n        published: {p0}")), want: upFails},
	{name: "scale-fixed-port", files: one(svc("web", "scale: 2", `"{p0}:80"`)), want: upFails},
	{name: "network-mode-host", files: one(svc("web", "network_mode: host", `"{p0}:80"`)), hold: []string{"tcp4 0.0.0.0:{p0}"}, want: upSucceeds},
	{name: "engine-chosen-twice", files: one(svc("web", "", `"0:80"`, `"80"`)), want: upFailsSince27, noFix: true},
	{name: "engine-chosen-loopback-and-any", files: one(svc("web", "", `"127.0.0.1::80"`, `"80"`)), want: upFailsSince27, noFix: true},
	{name: "engine-chosen-two-targets", files: one(svc("web", "", `"0:80"`, `"0:81"`)), want: upSucceeds},
	{name: "engine-chosen-two-loopbacks", files: one(svc("web", "", `"127.0.0.1::80"`, `"127.0.0.2::80"`)), want: upSucceeds},
	{name: "fixed-and-engine-chosen", files: one(svc("web", "", `"{p0}:80"`, `"80"`)), want: upSucceeds},

	// Where the port comes from.
	{name: "env-file-port", files: map[string]string{
		"compose.yaml": compose(svc("web", "", `"${WEB_PORT}:80"`)),
		".env":         "WEB_PORT={p0}\n",
	}, hold: []string{"tcp4 127.0.0.1:{p0}"}, want: upFails},
	{name: "env-default-port", files: one(svc("web", "", `"${WEB_PORT:-{p0}}:80"`)), hold: []string{"tcp4 127.0.0.1:{p0}"}, want: upFails},
	{name: "env-unset-no-port", files: one(svc("web", "", `"${NOT_SET_ANYWHERE}:80"`)), hold: []string{"tcp4 127.0.0.1:{p0}"}, want: upSucceeds},
	{name: "profile-inactive", files: one(svc("web", "", `"{p0}:80"`), svc("debug", "profiles: [\"debug\"]", `"{p1}:80"`)), hold: []string{"tcp4 127.0.0.1:{p1}"}, want: upSucceeds},
	{name: "profile-active", files: one(svc("web", "", `"{p0}:80"`), svc("debug", "profiles: [\"debug\"]", `"{p1}:80"`)), args: []string{"--profile", "debug"}, hold: []string{"tcp4 127.0.0.1:{p1}"}, want: upFails},
	{name: "override-file", files: map[string]string{
		"compose.yaml":          compose(svc("web", "", `"{p0}:80"`)),
		"compose.override.yaml": "services:\n  web:\n    ports: !override\n      - \"{p1}:80\"\n",
	}, hold: []string{"tcp4 127.0.0.1:{p1}"}, want: upFails},
	{name: "extends-base", files: map[string]string{
		"compose.yaml": "services:\n  web:\n    extends:\n      file: base.yaml\n      service: base\n",
		"base.yaml":    compose(svc("base", "", `"{p0}:80"`)),
	}, hold: []string{"tcp4 127.0.0.1:{p0}"}, want: upFails},
}

// projectName is the compose project a scenario runs as.
func projectName(s string) string { return "pf-" + s }

func TestDifferential(t *testing.T) {
	e := need(t)
	t.Logf("engine %s, API %s, userland proxy %v", e.version, e.apiVersion, e.userlandProxy())
	// Scenarios use their own ports and project names, so a few run side
	// by side; more only makes the engine and the two cores the queue.
	sem := make(chan struct{}, 3)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			runScenario(t, e, sc)
		})
	}
}

func (o outcome) fails(e engineInfo) bool {
	switch o {
	case upFails:
		return true
	case upFailsBefore27:
		return e.apiBefore("1.46")
	case upFailsSince27:
		return !e.apiBefore("1.46")
	case upFailsWithProxy:
		return e.userlandProxy()
	}
	return false
}

// setUp brings a scenario's other projects and earlier version up, writes
// its files and holds its host sockets, all undone when the test ends; it
// returns the project's folder, named after the compose project.
func setUp(t *testing.T, sc scenario, r *strings.Replacer) string {
	t.Helper()
	name := projectName(sc.name)
	for i, o := range sc.others {
		oname := fmt.Sprintf("%s-other%d", name, i)
		odir := filepath.Join(t.TempDir(), oname)
		writeFiles(t, odir, map[string]string{"compose.yaml": o.compose}, r)
		t.Cleanup(func() { down(t, odir, oname) })
		if failed, out := up(t, odir, oname); failed {
			t.Fatalf("bringing up %s failed:\n%s", oname, out)
		}
		if o.stopped {
			if out, code := run(t, odir, "docker", "compose", "-p", oname, "stop", "-t", "0"); code != 0 {
				t.Fatalf("stopping %s: %s", oname, out)
			}
		}
	}
	dir := filepath.Join(t.TempDir(), name)
	t.Cleanup(func() { down(t, dir, name) })
	if sc.before != "" {
		writeFiles(t, dir, map[string]string{"compose.yaml": sc.before}, r)
		if failed, out := up(t, dir, name); failed {
			t.Fatalf("bringing up the earlier version failed:\n%s", out)
		}
	}
	writeFiles(t, dir, sc.files, r)
	for range sc.cycles {
		if failed, out := up(t, dir, name, sc.args...); failed {
			t.Fatalf("the run that moves the engine's place in its ranges failed:\n%s", out)
		}
		down(t, dir, name)
	}
	for _, h := range sc.hold {
		hold(t, r.Replace(h))
	}
	return dir
}

func runScenario(t *testing.T, e engineInfo, sc scenario) {
	r := replacer(portPool.block(t, 4))
	name := projectName(sc.name)
	dir := setUp(t, sc, r)

	args := append([]string{"--engine=required", "--engine-timeout=20s"}, sc.args...)
	report, code := run(t, dir, e.tool, args...)
	if code != 0 && code != 1 {
		t.Fatalf("compose-preflight exit %d:\n%s", code, report)
	}
	var fixDir, fixReport string
	fixCode := -1
	if code == 1 && !sc.noFix {
		fixDir = copyDir(t, dir)
		fixReport, fixCode = run(t, fixDir, e.tool, append(args, "--fix")...)
	}

	failed, upOut := up(t, dir, name, sc.args...)
	if (code == 1) != failed {
		t.Errorf("compose-preflight says %s, but docker compose up %s\n--- compose-preflight\n%s--- docker compose up\n%s",
			describe(code), map[bool]string{true: "failed on a port", false: "succeeded"}[failed], report, upOut)
	}
	if want := sc.want.fails(e); want != failed {
		t.Errorf("the scenario expects up to %s, but it %s:\n%s", map[bool]string{true: "fail", false: "succeed"}[want],
			map[bool]string{true: "failed", false: "succeeded"}[failed], upOut)
	}
	if fixCode < 0 {
		return
	}
	down(t, dir, name)
	if fixCode != 0 {
		t.Errorf("--fix left conflicts (exit %d):\n%s", fixCode, fixReport)
		return
	}
	if failed, out := up(t, fixDir, name, sc.args...); failed {
		t.Errorf("after --fix, docker compose up still fails on a port\n--- --fix\n%s--- up\n%s", fixReport, out)
	}
	if os.Getenv("PREFLIGHT_REALENGINE_VERBOSE") != "" {
		t.Logf("--- compose-preflight\n%s--- --fix\n%s", report, fixReport)
	}
}
