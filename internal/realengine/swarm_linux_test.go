//go:build linux

package realengine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSwarm runs the Swarm scenarios on the Docker engine made a
// single-node swarm (`docker swarm init --advertise-addr 127.0.0.1`; the
// test leaves the swarm again when it made it). Each is compared with what
// `docker stack deploy` or `docker compose up` then does. It runs only
// when asked (PREFLIGHT_SWARM=1 or PREFLIGHT_REQUIRE_SWARM=1), alone on
// its engine: CI runs it in its own phase.
func TestSwarm(t *testing.T) {
	how := "bash .ci/engines start debian (or current); the test makes the swarm itself"
	if os.Getenv("PREFLIGHT_SWARM") != "1" && os.Getenv("PREFLIGHT_REQUIRE_SWARM") != "1" {
		// It turns the engine into a swarm node for its run: never behind
		// the back of whoever else uses that engine.
		t.Skip("TestSwarm makes the Docker engine a swarm node for its run: PREFLIGHT_SWARM=1 runs it")
	}
	out, code := runEnv(t, ".", nil, "docker", "info", "--format", "{{.Swarm.LocalNodeState}}")
	if code != 0 {
		skipOrFail(t, "PREFLIGHT_REQUIRE_SWARM", "no Docker engine answers: "+firstLine([]byte(out)), how)
	}
	if _, code := runEnv(t, ".", nil, "docker", "stack", "--help"); code != 0 {
		skipOrFail(t, "PREFLIGHT_REQUIRE_SWARM", "this docker CLI has no stack command", how)
	}
	if _, code := runEnv(t, ".", nil, "docker", "image", "inspect", image); code != 0 {
		skipOrFail(t, "PREFLIGHT_REQUIRE_SWARM", "the engine has no image "+image, "bash .ci/engines image")
	}
	tool := builtTool(t)
	switch state := strings.TrimSpace(out); state {
	case "inactive":
		if out, code := runEnv(t, ".", nil, "docker", "swarm", "init", "--advertise-addr", "127.0.0.1"); code != 0 {
			t.Fatalf("docker swarm init: %s", out)
		}
		t.Cleanup(func() {
			if out, code := runEnv(t, ".", nil, "docker", "swarm", "leave", "--force"); code != 0 {
				t.Errorf("docker swarm leave --force: %s", out)
			}
		})
	case "active":
	default:
		t.Fatalf("the engine's swarm is %s", state)
	}

	ps := enginePool.block(t, 4)
	r := replacer(ps)
	stackFile := func(service, port string) map[string]string {
		return map[string]string{"compose.yaml": compose(svc(service, "", port))}
	}
	deploy := func(dir, stack string) (bool, string) {
		out, code := runEnv(t, dir, nil, "docker", "stack", "deploy", "--resolve-image", "never", "-c", "compose.yaml", stack)
		if code == 0 {
			return false, out
		}
		if !enginePortError.MatchString(out) {
			t.Fatalf("docker stack deploy %s failed, not on a port (exit %d):\n%s", stack, code, out)
		}
		return true, out
	}
	removeStack := func(stack string) {
		if out, code := runEnv(t, ".", nil, "docker", "stack", "rm", stack); code != 0 {
			t.Logf("docker stack rm %s: %s", stack, out)
		}
	}
	project := func(name string, files map[string]string) string {
		dir := filepath.Join(t.TempDir(), name)
		writeFiles(t, dir, files, r)
		return dir
	}

	// A stack that holds {p0} in ingress mode and {p1} in host mode, for
	// every scenario.
	held := project("pfs-held", map[string]string{"compose.yaml": compose(svc("web", "", `"{p0}:80"`),
		svc("edge", "", "target: 80\n        published: {p1}\n        mode: host"))})
	t.Cleanup(func() { removeStack("pfs-held") })
	if failed, out := deploy(held, "pfs-held"); failed {
		t.Fatalf("deploying the stack that holds the port failed:\n%s", out)
	}
	service := "swarm service pfs-held_web (stack pfs-held) publishes port " + fmt.Sprint(ps[0]) + "/tcp in ingress mode"

	t.Run("why", func(t *testing.T) {
		out, code := runEnv(t, held, nil, tool, "why", fmt.Sprint(ps[0]))
		if code != 0 || !strings.Contains(out, service) {
			t.Errorf("why %d: exit %d, want 0 and %q:\n%s", ps[0], code, service, out)
		}
	})

	t.Run("compose-up-on-ingress-port", func(t *testing.T) {
		// The silent case: up succeeds, and the mesh takes the traffic.
		dir := project("pfs-compose", one(svc("web", "", `"{p0}:80"`)))
		report, code := runEnv(t, dir, nil, tool, "--engine=required", "--engine-timeout=20s")
		t.Cleanup(func() { down(t, dir, "pfs-compose") })
		failed, upOut := up(t, dir, "pfs-compose")
		if failed {
			t.Fatalf("docker compose up on a swarm's ingress port failed, which the scenario says it does not:\n%s", upOut)
		}
		if code != 1 || !strings.Contains(report, "[shadowed]") || !strings.Contains(report, service) {
			t.Errorf("compose-preflight exit %d, want 1 with a shadowed finding naming %q:\n%s", code, service, report)
		}
	})

	for _, sc := range []struct {
		name, stack string
		files       map[string]string
		hold        []string // host sockets held meanwhile
		// pending: deploy succeeds, but the swarm finds no node for the
		// task ("no suitable node (host-mode port already in use ...)")
		pending bool
		fails   bool
		kind    string // the finding the report must show
	}{
		{name: "other-stack-same-port", stack: "pfs-other", files: stackFile("api", `"{p0}:8080"`), fails: true, kind: "[in-use]"},
		{name: "own-stack-redeployed", stack: "pfs-held", files: stackFile("web", `"{p0}:80"`), kind: "[own]"},
		{name: "other-stack-free-port", stack: "pfs-free", files: stackFile("web", `"{p2}:80"`)},
		{name: "ingress-over-host-mode", stack: "pfs-ingress", files: stackFile("web", `"{p1}:80"`), fails: true, kind: "[in-use]"},
		// deploy succeeds, but the task never runs: see pending below
		{name: "host-mode-over-host-mode", stack: "pfs-hosthost", files: stackFile("web", "target: 80\n        published: {p1}\n        mode: host"), kind: "[in-use]", pending: true},
		{name: "other-stack-udp-vs-tcp", stack: "pfs-udp", files: stackFile("dns", `"{p0}:53/udp"`)},
		// A host program does not stop an ingress port: deploy succeeds,
		// and the mesh takes the port's traffic from the program.
		{name: "host-socket-vs-ingress", stack: "pfs-host", files: stackFile("web", `"{p3}:80"`), hold: []string{"tcp4 127.0.0.1:{p3}"}, kind: "[shadowed]"},
	} {
		t.Run(sc.name, func(t *testing.T) {
			dir := project(sc.stack+"-"+sc.name, sc.files)
			for _, h := range sc.hold {
				hold(t, r.Replace(h))
			}
			report, code := runEnv(t, dir, nil, tool, "--engine=required", "--engine-timeout=20s", "--stack", sc.stack)
			if code != 0 && code != 1 {
				t.Fatalf("compose-preflight --stack exit %d:\n%s", code, report)
			}
			if sc.stack != "pfs-held" {
				t.Cleanup(func() { removeStack(sc.stack) })
			}
			failed, out := deploy(dir, sc.stack)
			if sc.pending {
				if code != 1 || failed {
					t.Errorf("want compose-preflight --stack to report the port (exit 1) and deploy to succeed with a task that cannot be placed; exit %d, deploy failed: %v\n--- compose-preflight\n%s--- docker stack deploy\n%s",
						code, failed, report, out)
				}
				var state string
				for range 30 {
					state, _ = runEnv(t, dir, nil, "docker", "service", "ps", "--no-trunc", "--format", "{{.CurrentState}} {{.Error}}", sc.stack+"_web")
					if strings.Contains(state, "no suitable node") {
						break
					}
					time.Sleep(time.Second)
				}
				if !strings.Contains(state, "no suitable node") {
					t.Errorf("the task of %s_web was placed, not pending: %s", sc.stack, state)
				}
			} else if shadowed := sc.kind == "[shadowed]"; shadowed && (code != 1 || failed) {
				t.Errorf("want compose-preflight --stack to report the shadowed port (exit 1) and deploy to succeed; exit %d, deploy failed: %v\n--- compose-preflight\n%s--- docker stack deploy\n%s",
					code, failed, report, out)
			} else if !shadowed && (code == 1) != failed {
				t.Errorf("compose-preflight --stack says %s, but docker stack deploy %s\n--- compose-preflight\n%s--- docker stack deploy\n%s",
					describe(code), map[bool]string{true: "failed on a port", false: "succeeded"}[failed], report, out)
			}
			if failed != sc.fails {
				t.Errorf("the scenario expects deploy to fail: %v, but it failed: %v\n%s", sc.fails, failed, out)
			}
			if sc.kind != "" && !strings.Contains(report, sc.kind) {
				t.Errorf("the report has no %s finding:\n%s", sc.kind, report)
			}
			if os.Getenv("PREFLIGHT_REALENGINE_VERBOSE") != "" {
				t.Logf("--- compose-preflight\n%s--- deploy\n%s", report, out)
			}
		})
	}
}
