package preflight

import (
	"context"
	"fmt"

	"github.com/compose-preflight/compose-preflight/check"
	"github.com/compose-preflight/compose-preflight/check/sockets"
)

// Holders is what holds one host port, as `compose-preflight why PORT`
// shows it: found by the very lookups a check makes (the host's sockets
// on the port, their processes, the engine's containers behind engine
// processes, the swarm's services), so that the two never disagree.
type Holders struct {
	Port      uint16
	Protocols []string // "tcp", "udp"
	Holders   []check.Holder
	// Notes are the run-level warnings (no engine answered, inside a
	// container), and Checked what was looked at, as in a check.
	Notes   []check.Finding
	Checked string
	// Engine is "Docker" or "Podman" when an engine answered.
	Engine string
}

// Why finds every holder of port, on every address, for each of protos.
// Options.Load is read for its environment only (where the engine is).
func Why(ctx context.Context, o Options, port uint16, protos []string) (*Holders, error) {
	view := gatherHost(ctx, o)
	if view.err != nil {
		return nil, view.err
	}
	// One binding per protocol on every address: whatever holds the port
	// on any address overlaps it, as it would a compose "PORT:80".
	host, err := check.ReadHost("/proc")
	if err != nil {
		return nil, fmt.Errorf("reading the host's port ranges: %w", err)
	}
	in := check.Input{Host: host, Containers: view.containers}
	for _, p := range protos {
		in.Bindings = append(in.Bindings, check.Binding{Service: "why", Published: port, Last: port, Protocol: p})
	}
	if view.listSockets {
		if in.Sockets, err = listSockets(ctx, in.Bindings); err != nil {
			return nil, err
		}
		bound, err := sockets.ListBound(ctx, sockets.PortRange{First: port, Last: port})
		if err != nil {
			return nil, fmt.Errorf("listing bound TCP sockets: %w", err)
		}
		in.Sockets = append(in.Sockets, bound...)
	}
	var fs []check.Finding
	for _, f := range check.Find(in) {
		if f.Kind == check.KindInUse || f.Kind == check.KindShadowed {
			fs = append(fs, f)
		}
	}
	if err := attachOwners(ctx, fs); err != nil {
		return nil, err
	}
	if in.Sockets != nil {
		if fs, err = settleHolders(ctx, fs); err != nil {
			return nil, err
		}
	}
	fs = check.Attribute(fs, &in)
	h := &Holders{Port: port, Protocols: protos, Notes: view.notes, Checked: view.checked, Engine: view.engineName}
	for _, f := range fs {
		h.Holders = append(h.Holders, f.Holders...)
	}
	if view.swarm != nil {
		h.Holders = append(h.Holders, check.ServiceHolders(view.swarm, in.Bindings)...)
	}
	return h, nil
}

// HolderLine says what one holder is: the socket, and who is behind it.
func HolderLine(h check.Holder, engineName string) string {
	if h.SwarmService != nil {
		return serviceText(h.SwarmService, h.ServicePort)
	}
	var s string
	if h.HasSocket() {
		s = sockAddr(h.Socket.Addr, h.Socket.Port, h.Socket.Protocol)
		if h.Socket.State == sockets.Bound {
			s += " (bound, not listening)"
		}
	} else {
		s = containerPortText(h.ContainerPort)
	}
	if c := h.Container; c != nil {
		s += ": " + containerText(c)
		if engineName != "" {
			s += " on " + engineName
		}
		switch {
		case h.Owner != nil:
			// the engine's process: its command line says nothing more
			s += fmt.Sprintf(", held for it by pid %d %s", h.Owner.PID, h.Owner.Name)
		case h.HasSocket():
			s += ", held for it by " + ownerText(h)
		}
		return s
	}
	return s + ": " + ownerText(h)
}
