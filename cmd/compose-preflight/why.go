package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/compose-preflight/compose-preflight/check"
	"github.com/compose-preflight/compose-preflight/check/engine"
	"github.com/compose-preflight/compose-preflight/check/sockets"
)

// whyCommand answers "who holds this port?" with the very lookups the
// check makes, so that the two never disagree: the host's sockets on the
// port, their processes, the engine's containers behind engine processes,
// and the swarm's services.
func whyCommand(sio stdio, code *int) *cli.Command {
	return &cli.Command{
		Name:      "why",
		Usage:     "say who holds a host port: processes, containers (Docker, Podman) and swarm services",
		UsageText: "compose-preflight [--engine MODE] why PORT[/tcp|/udp]",
		Description: "Lists every holder of host port PORT (TCP and UDP when no protocol is given), on every address.\n" +
			"Exit 0 when something holds it, 1 when nothing does.",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError("why takes one port, such as 8080 or 53/udp (see --help)")
			}
			port, protos, err := parsePortArg(c.Args().First())
			if err != nil {
				return err
			}
			o := options{engine: c.String("engine"), engineTimeout: c.Duration("engine-timeout")}
			if o.engine == "" {
				o.engine, o.engineTimeout = "auto", engine.DefaultTimeout
			}
			n, err := why(c.Context, o, sio, port, protos)
			*code = n
			return err
		},
	}
}

// parsePortArg reads PORT, PORT/tcp or PORT/udp.
func parsePortArg(arg string) (uint16, []string, error) {
	num, proto, hasProto := strings.Cut(arg, "/")
	n, err := strconv.ParseUint(num, 10, 16)
	if err != nil || n == 0 {
		return 0, nil, usageError("why %s: want a port from 1 to 65535, such as 8080 or 53/udp", arg)
	}
	protos := []string{"tcp", "udp"}
	if hasProto {
		proto = strings.ToLower(proto)
		if proto != "tcp" && proto != "udp" {
			return 0, nil, usageError("why %s: the protocol is tcp or udp", arg)
		}
		protos = []string{proto}
	}
	return uint16(n), protos, nil
}

// why finds and prints every holder of port on protos; it returns the exit
// code: 0 when something holds it, 1 when nothing does.
func why(ctx context.Context, o options, sio stdio, port uint16, protos []string) (int, error) {
	view := gatherHost(ctx, o, sio)
	if view.err != nil {
		return exitUsage, loadError(view.err)
	}
	// One binding per protocol on every address: whatever holds the port
	// on any address overlaps it, as it would a compose "PORT:80".
	host, err := check.ReadHost("/proc")
	if err != nil {
		return exitUsage, loadError(fmt.Errorf("reading the host's port ranges: %w", err))
	}
	in := check.Input{Host: host, Containers: view.containers}
	for _, p := range protos {
		in.Bindings = append(in.Bindings, check.Binding{Service: "why", Published: port, Last: port, Protocol: p})
	}
	if view.listSockets {
		if in.Sockets, err = listSockets(ctx, in.Bindings); err != nil {
			return exitUsage, loadError(err)
		}
		bound, err := sockets.ListBound(ctx, sockets.PortRange{First: port, Last: port})
		if err != nil {
			return exitUsage, loadError(fmt.Errorf("listing bound TCP sockets: %w", err))
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
		return exitUsage, loadError(err)
	}
	if in.Sockets != nil {
		if fs, err = settleHolders(ctx, fs); err != nil {
			return exitUsage, loadError(err)
		}
	}
	fs = check.Attribute(fs, &in)
	var holders []check.Holder
	for _, f := range fs {
		holders = append(holders, f.Holders...)
	}
	if view.swarm != nil {
		holders = append(holders, check.ServiceHolders(view.swarm, in.Bindings)...)
	}
	writeWhy(sio.stdout, port, protos, holders, view)
	if len(holders) == 0 {
		return exitConflict, nil
	}
	return exitClean, nil
}

// writeWhy prints one line per holder, then what was looked at.
func writeWhy(w io.Writer, port uint16, protos []string, hs []check.Holder, view hostView) {
	var what []string
	for _, p := range protos {
		what = append(what, fmt.Sprintf("%d/%s", port, p))
	}
	for _, n := range view.notes {
		fmt.Fprintf(w, "warning: %s [%s]\n", n.Detail, n.Kind)
	}
	if len(hs) == 0 {
		fmt.Fprintf(w, "nothing holds port %s (checked %s)\n", strings.Join(what, " or "), view.checked)
		return
	}
	for _, h := range hs {
		fmt.Fprintln(w, whyLine(h, view.engineName))
	}
	fmt.Fprintf(w, "%s of port %s (checked %s)\n", plural(len(hs), "holder", "holders"), strings.Join(what, " or "), view.checked)
}

// whyLine says what one holder is: the socket, and who is behind it.
func whyLine(h check.Holder, engineName string) string {
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
