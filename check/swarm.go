package check

import (
	"fmt"
	"sort"
	"strings"

	"github.com/compose-preflight/compose-preflight/check/engine"
)

// SwarmFindings checks a compose project that `docker compose up` starts
// on a node of a swarm: a port that a swarm service publishes in ingress
// mode has no socket on the node (the routing mesh is IPVS and iptables),
// so the container's bind succeeds (measured on dockerd 20.10 and moby
// v2), and the connections the mesh receives for that port go to the
// service, not the container: a silent conflict. A host-mode port of a service is its task's
// container binding, which the container list already shows.
//
// Only fixed ports are checked: the port a host range ends up with is the
// engine's choice.
func SwarmFindings(bs []Binding, sw *engine.Swarm) []Finding {
	if sw == nil {
		return nil
	}
	var out []Finding
	for i, b := range bs {
		if b.IsRange() {
			continue
		}
		hs := serviceHolders(sw, b, func(sp engine.ServicePort) bool { return sp.Mode == engine.ModeIngress })
		if len(hs) == 0 {
			continue
		}
		out = append(out, Finding{Kind: KindShadowed, Severity: Error, Binding: i, Other: -1, Service: b.Service, Port: b.Published, Holders: hs,
			Detail: fmt.Sprintf("the container starts, but the swarm's routing mesh claims port %d on every node: the connections the mesh receives go to the service, not the container", b.Published)})
	}
	return out
}

// ServiceHolders are the swarm services that publish the port of any of
// bs, in any mode: who holds a port, swarm-wide.
func ServiceHolders(sw *engine.Swarm, bs []Binding) []Holder {
	var hs []Holder
	for _, b := range bs {
		hs = append(hs, serviceHolders(sw, b, func(engine.ServicePort) bool { return true })...)
	}
	return hs
}

// serviceHolders are the swarm services whose ports, as keep selects them,
// take b's port.
func serviceHolders(sw *engine.Swarm, b Binding, keep func(engine.ServicePort) bool) []Holder {
	var hs []Holder
	for si := range sw.Services {
		s := &sw.Services[si]
		for _, sp := range s.Ports {
			if sp.Protocol != b.Protocol || sp.Published < b.Published || sp.Published > b.Last || !keep(sp) {
				continue
			}
			hs = append(hs, Holder{Verdict: InUse, SwarmService: s, ServicePort: sp})
		}
	}
	return hs
}

// Stack is what `docker stack deploy -c FILE NAME` is asked to deploy.
type Stack struct {
	// Name is the stack's name: its services are NAME_SERVICE.
	Name string
	// HostMode says, by binding index, which bindings publish in host
	// mode (long syntax `mode: host`); the others use the ingress.
	HostMode map[int]bool
}

// StackFindings checks the bindings as `docker stack deploy` deploys them
// on the swarm that sw describes, and settles what Find said about this
// node's sockets and containers (fs, after Attribute).
//
// The swarm refuses a published port that another service holds ("port
// 'P' is already in use by service 's1_web' ... as an ingress port", or
// "as a host-published port"): an ingress port is taken on every node, a
// host-mode port on the nodes where the service's tasks run. A host-mode
// port over another's host-mode port deploys, but its task never runs
// there ("no suitable node (host-mode port already in use on 1 node)"),
// measured on moby v2: a conflict too. The services of the stack itself are its own:
// deploy updates them. A host socket or a plain container on this node
// does not stop an ingress port from being published (deploy succeeds,
// measured): both then claim the port (shadowed), and which one a
// connection reaches depends on where it comes from and on the mesh (on
// the machines of this project's tests the mesh served no connection at
// all, so only the deploy is measured). It does stop a host-mode task here.
func StackFindings(fs []Finding, in *Input, sw *engine.Swarm, st Stack) []Finding {
	own := func(name string) bool { return strings.HasPrefix(name, st.Name+"_") }
	out := fs[:0]
	for _, f := range fs {
		if f.Binding >= 0 && len(f.Holders) > 0 && (f.Kind == KindInUse || f.Kind == KindShadowed) {
			kept := f.Holders[:0]
			for _, h := range f.Holders {
				if h.Container != nil && h.Container.SwarmService != "" {
					// a service's task on this node: its service is checked
					// below, swarm-wide (this stack's own are updated)
					continue
				}
				kept = append(kept, h)
			}
			if f.Holders = kept; len(kept) == 0 {
				continue
			}
			if !st.HostMode[f.Binding] {
				f.Kind = KindShadowed
				f.Detail = fmt.Sprintf("the stack deploys, and then the swarm's routing mesh and this holder both answer port %d on this node: which one a connection reaches depends on where it comes from", f.Port)
			}
		}
		out = append(out, f)
	}
	if sw == nil {
		return out
	}
	for i, b := range in.Bindings {
		var others, mine []Holder
		for _, h := range serviceHolders(sw, b, func(engine.ServicePort) bool { return true }) {
			if h.SwarmService.Stack == st.Name || own(h.SwarmService.Name) {
				h.Own = true
				mine = append(mine, h)
			} else {
				others = append(others, h)
			}
		}
		switch {
		case len(others) > 0:
			f := Finding{Kind: KindInUse, Severity: Error, Binding: i, Other: -1, Service: b.Service, Port: others[0].ServicePort.Published, Holders: others}
			if b.IsRange() {
				f.Detail = "the swarm allocates one port of a range; another service holds one of them"
			}
			out = append(out, f)
		case len(mine) > 0:
			out = append(out, Finding{Kind: KindOwn, Severity: Info, Binding: i, Other: -1, Service: b.Service, Port: mine[0].ServicePort.Published, Holders: mine})
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Binding != out[b].Binding {
			return out[a].Binding < out[b].Binding
		}
		return out[a].Severity > out[b].Severity
	})
	return out
}
