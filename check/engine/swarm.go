package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"
)

// LabelStack is the label `docker stack deploy` puts on every service of a
// stack, naming the stack.
const LabelStack = "com.docker.stack.namespace"

// Publish modes of a swarm service's port.
const (
	// ModeIngress publishes the port on every node of the swarm through
	// the routing mesh (IPVS and iptables): no socket holds it, so only
	// the engine can say it is taken. It is the default.
	ModeIngress = "ingress"
	// ModeHost publishes the port on the nodes where the service's tasks
	// run, as a container's port binding.
	ModeHost = "host"
)

// Service is a swarm service that publishes ports, as the swarm's manager
// reports it (GET /services, and /tasks for ports in host mode).
type Service struct {
	ID   string
	Name string // "s1_web" for service web of stack s1
	// Stack is the stack that deployed it (its com.docker.stack.namespace
	// label); empty for a service created with `docker service create`.
	Stack string
	Ports []ServicePort
}

// ServicePort is one published port of a swarm service.
type ServicePort struct {
	Published uint16
	Target    uint16
	Protocol  string // "tcp", "udp" or "sctp"
	Mode      string // ModeIngress or ModeHost
	// Nodes are, in host mode, the nodes (host names) where a running
	// task publishes the port; ingress ports are on every node.
	Nodes []string
}

// Swarm is what the engine says of the swarm it belongs to.
type Swarm struct {
	// NodeName is this engine's node (its host name in the swarm).
	NodeName string
	// Manager says whether this node manages the swarm: only a manager
	// can list services, and `docker stack deploy` needs one.
	Manager bool
	// Services are the swarm's services that publish ports, sorted by
	// name; nil on a worker node, which cannot list them.
	Services []Service
}

// OnNode reports whether port p of a service is published on node, the
// way a bind there collides with it: ingress ports are on every node.
func (p ServicePort) OnNode(node string) bool {
	return p.Mode != ModeHost || slices.Contains(p.Nodes, node)
}

// askSwarm lists the swarm's services when the engine is an active member
// of a swarm; it returns nil on an engine outside any swarm.
func askSwarm(ctx context.Context, cli *client.Client, info swarm.Info) (*Swarm, error) {
	if info.LocalNodeState != swarm.LocalNodeStateActive {
		return nil, nil
	}
	sw := &Swarm{Manager: info.ControlAvailable}
	if !sw.Manager {
		return sw, nil
	}
	nodes, err := cli.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list swarm nodes: %w", err)
	}
	names := map[string]string{}
	for _, n := range nodes.Items {
		names[n.ID] = cmp.Or(n.Description.Hostname, n.ID)
	}
	sw.NodeName = names[info.NodeID]
	services, err := cli.ServiceList(ctx, client.ServiceListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list swarm services: %w", err)
	}
	var hostMode bool
	sw.Services = []Service{}
	for _, s := range services.Items {
		svc := Service{ID: s.ID, Name: s.Spec.Name, Stack: s.Spec.Labels[LabelStack]}
		for _, p := range servicePorts(s) {
			if p.Published == 0 {
				continue
			}
			hostMode = hostMode || p.Mode == ModeHost
			svc.Ports = append(svc.Ports, p)
		}
		if len(svc.Ports) > 0 {
			sw.Services = append(sw.Services, svc)
		}
	}
	if hostMode {
		if err := placeHostPorts(ctx, cli, sw.Services, names); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(sw.Services, func(a, b Service) int { return cmp.Compare(a.Name, b.Name) })
	return sw, nil
}

// servicePorts are the ports a service publishes: those the swarm
// allocated (Endpoint.Ports), else those its spec asks for (a service
// being updated has only the latter).
func servicePorts(s swarm.Service) []ServicePort {
	ports := s.Endpoint.Ports
	if len(ports) == 0 && s.Spec.EndpointSpec != nil {
		ports = s.Spec.EndpointSpec.Ports
	}
	var out []ServicePort
	for _, p := range ports {
		mode := string(p.PublishMode)
		if mode == "" {
			mode = ModeIngress
		}
		out = append(out, ServicePort{
			Published: uint16(p.PublishedPort),
			Target:    uint16(p.TargetPort),
			Protocol:  cmp.Or(strings.ToLower(string(p.Protocol)), "tcp"),
			Mode:      mode,
		})
	}
	return out
}

// placeHostPorts fills the nodes of each host-mode port from the running
// tasks: a host-mode port is taken only where a task of the service runs.
func placeHostPorts(ctx context.Context, cli *client.Client, services []Service, names map[string]string) error {
	tasks, err := cli.TaskList(ctx, client.TaskListOptions{Filters: client.Filters{}.Add("desired-state", "running")})
	if err != nil {
		return fmt.Errorf("list swarm tasks: %w", err)
	}
	for _, t := range tasks.Items {
		for si := range services {
			s := &services[si]
			if s.ID != t.ServiceID {
				continue
			}
			for _, tp := range t.Status.PortStatus.Ports {
				for pi := range s.Ports {
					p := &s.Ports[pi]
					node := cmp.Or(names[t.NodeID], t.NodeID)
					if p.Mode == ModeHost && uint32(p.Published) == tp.PublishedPort && !slices.Contains(p.Nodes, node) {
						p.Nodes = append(p.Nodes, node)
					}
				}
			}
		}
	}
	for si := range services {
		for pi := range services[si].Ports {
			slices.Sort(services[si].Ports[pi].Nodes)
		}
	}
	return nil
}
