package check

import (
	"net/netip"
	"testing"

	"github.com/compose-preflight/compose-preflight/check/engine"
)

func testSwarm() *engine.Swarm {
	return &engine.Swarm{NodeName: "node-1", Manager: true, Services: []engine.Service{
		{ID: "a", Name: "s1_web", Stack: "s1", Ports: []engine.ServicePort{{Published: 8080, Target: 80, Protocol: "tcp", Mode: engine.ModeIngress}}},
		{ID: "b", Name: "s1_dns", Stack: "s1", Ports: []engine.ServicePort{{Published: 5353, Target: 53, Protocol: "udp", Mode: engine.ModeIngress}}},
		{ID: "c", Name: "edge", Ports: []engine.ServicePort{{Published: 9000, Target: 80, Protocol: "tcp", Mode: engine.ModeHost, Nodes: []string{"node-2"}}}},
	}}
}

func TestSwarmFindings(t *testing.T) {
	bs := []Binding{
		{Service: "web", Published: 8080, Last: 8080, Protocol: "tcp"},
		{Service: "api", HostIP: netip.MustParseAddr("127.0.0.1"), Published: 8080, Last: 8080, Protocol: "tcp"},
		{Service: "dns", Published: 5353, Last: 5353, Protocol: "tcp"},  // the service's port is udp
		{Service: "edge", Published: 9000, Last: 9000, Protocol: "tcp"}, // host mode: its task's container, if here
		{Service: "range", Published: 8079, Last: 8081, Protocol: "tcp"},
	}
	fs := SwarmFindings(bs, testSwarm())
	if len(fs) != 2 {
		t.Fatalf("got %d findings, want 2 (web and api on the ingress port): %+v", len(fs), fs)
	}
	for i, f := range fs {
		if f.Binding != i || f.Kind != KindShadowed || f.Severity != Error || len(f.Holders) != 1 || f.Holders[0].SwarmService.Name != "s1_web" {
			t.Errorf("finding %d = %+v, want binding %d shadowed by s1_web", i, f, i)
		}
	}
	if SwarmFindings(bs, nil) != nil {
		t.Error("no swarm, no findings")
	}
}

func TestStackFindings(t *testing.T) {
	in := &Input{Bindings: []Binding{
		{Service: "web", Published: 8080, Last: 8080, Protocol: "tcp"},  // s1's own
		{Service: "db", Published: 9000, Last: 9000, Protocol: "tcp"},   // edge's host-mode port
		{Service: "dns", Published: 5353, Last: 5353, Protocol: "udp"},  // s1's own
		{Service: "free", Published: 7000, Last: 7000, Protocol: "tcp"}, // nothing there
	}}
	fs := StackFindings(nil, in, testSwarm(), Stack{Name: "s1"})
	want := []struct {
		binding int
		kind    Kind
		service string
	}{{0, KindOwn, "s1_web"}, {1, KindInUse, "edge"}, {2, KindOwn, "s1_dns"}}
	if len(fs) != len(want) {
		t.Fatalf("got %d findings, want %d: %+v", len(fs), len(want), fs)
	}
	for i, w := range want {
		f := fs[i]
		if f.Binding != w.binding || f.Kind != w.kind || f.Holders[0].SwarmService.Name != w.service {
			t.Errorf("finding %d = %+v, want binding %d %s by %s", i, f, w.binding, w.kind, w.service)
		}
	}
	// Deployed as another stack, s1's services are in the way.
	fs = StackFindings(nil, in, testSwarm(), Stack{Name: "s2"})
	if len(fs) != 3 || fs[0].Kind != KindInUse || fs[2].Kind != KindInUse {
		t.Errorf("as stack s2: %+v, want three in-use findings", fs)
	}
}

func TestStackFindingsSettleHostHolders(t *testing.T) {
	in := &Input{Bindings: []Binding{
		{Service: "web", Published: 7000, Last: 7000, Protocol: "tcp"},
		{Service: "edge", Published: 7001, Last: 7001, Protocol: "tcp"},
		{Service: "api", Published: 7002, Last: 7002, Protocol: "tcp"},
	}}
	task := &engine.Container{Name: "s1_api.1.x", SwarmService: "s1_api"}
	fs := []Finding{
		{Kind: KindInUse, Severity: Error, Binding: 0, Port: 7000, Holders: []Holder{{Verdict: InUse}}},
		{Kind: KindInUse, Severity: Error, Binding: 1, Port: 7001, Holders: []Holder{{Verdict: InUse}}},
		{Kind: KindInUse, Severity: Error, Binding: 2, Port: 7002, Holders: []Holder{{Verdict: InUse, Container: task}}},
	}
	fs = StackFindings(fs, in, &engine.Swarm{Manager: true}, Stack{Name: "s1", HostMode: map[int]bool{1: true}})
	if len(fs) != 2 {
		t.Fatalf("got %+v, want two findings (the stack's own task is not one)", fs)
	}
	if fs[0].Kind != KindShadowed {
		t.Errorf("an ingress port over a host socket: %s, want shadowed (the mesh takes it)", fs[0].Kind)
	}
	if fs[1].Kind != KindInUse {
		t.Errorf("a host-mode port over a host socket: %s, want in-use (the task cannot bind it)", fs[1].Kind)
	}
}
