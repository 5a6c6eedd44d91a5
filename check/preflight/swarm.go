package preflight

import (
	"fmt"
	"strings"

	"github.com/compose-preflight/compose-preflight/check"
	"github.com/compose-preflight/compose-preflight/check/engine"
	"github.com/compose-preflight/compose-preflight/compose"
)

// swarmFindings adds what the engine's swarm does to the project: with
// --stack, the check as `docker stack deploy` sees it; without, the ports
// that the swarm's ingress takes from the project's containers.
func swarmFindings(o Options, proj *compose.Project, in *check.Input, sw *engine.Swarm, fs []check.Finding) ([]check.Finding, error) {
	if o.Stack == "" {
		if sw == nil || sw.Services == nil {
			return fs, nil
		}
		return append(fs, check.SwarmFindings(in.Bindings, sw)...), nil
	}
	switch {
	case sw == nil:
		return nil, fmt.Errorf("--stack %s: the engine is not part of a swarm, so docker stack deploy would refuse it (docker swarm init makes one)", o.Stack)
	case !sw.Manager:
		return nil, fmt.Errorf("--stack %s: this engine is a swarm worker, which cannot list services; run on a manager node, as docker stack deploy must", o.Stack)
	}
	return check.StackFindings(fs, in, sw, check.Stack{Name: o.Stack, HostMode: hostModeBindings(proj)}), nil
}

// hostModeBindings are the bindings whose port entry asks for host mode
// (long syntax `mode: host`); the swarm publishes the others through its
// ingress.
func hostModeBindings(proj *compose.Project) map[int]bool {
	out := map[int]bool{}
	for i, b := range proj.Bindings {
		for _, pc := range proj.Ports[b.Service] {
			if pc.Mode == engine.ModeHost && pc.Target == b.Target && pc.Protocol == b.Protocol &&
				strings.Trim(pc.HostIP, "[]") == b.HostIP && pc.Published == b.Published {
				out[i] = true
			}
		}
	}
	return out
}

// serviceText names a swarm service and the port it publishes.
func serviceText(s *engine.Service, p engine.ServicePort) string {
	name := "swarm service " + s.Name
	if s.Stack != "" {
		name += fmt.Sprintf(" (stack %s)", s.Stack)
	}
	where := "in ingress mode, on every node of the swarm"
	if p.Mode == engine.ModeHost {
		where = "in host mode"
		if len(p.Nodes) > 0 {
			where += ", on node " + strings.Join(p.Nodes, ", ")
		}
	}
	return fmt.Sprintf("%s publishes port %d/%s %s", name, p.Published, p.Protocol, where)
}

// swarmPorts are the swarm services' published ports, as containers of no
// project publishing them on every address: added to the check's input
// once its findings are made, so that the free port --fix picks (and
// the report suggests) is not one a service holds, and --fix's own
// recheck sees them.
func swarmPorts(sw *engine.Swarm) []engine.Container {
	if sw == nil {
		return nil
	}
	var out []engine.Container
	for _, s := range sw.Services {
		c := engine.Container{ID: "swarm-service-" + s.ID, Name: s.Name, SwarmService: s.Name}
		for _, p := range s.Ports {
			c.Ports = append(c.Ports, engine.Port{Published: p.Published, Target: p.Target, Protocol: p.Protocol})
		}
		out = append(out, c)
	}
	return out
}
