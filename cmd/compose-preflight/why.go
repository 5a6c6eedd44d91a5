package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/compose-preflight/compose-preflight/check/engine"
	"github.com/compose-preflight/compose-preflight/check/preflight"
	"github.com/compose-preflight/compose-preflight/compose"
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
			// Load is read for its environment only (where the engine is).
			o := preflight.Options{Load: compose.Options{Environ: sio.environ}, Engine: c.String("engine"), EngineTimeout: c.Duration("engine-timeout"), Root: sio.root}
			if o.Engine == "" {
				o.Engine, o.EngineTimeout = "auto", engine.DefaultTimeout
			}
			h, err := preflight.Why(c.Context, o, port, protos)
			if err != nil {
				return loadError(err)
			}
			writeWhy(sio.stdout, h)
			if len(h.Holders) == 0 {
				*code = exitConflict // nothing holds it
			}
			return nil
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

// writeWhy prints one line per holder, then what was looked at.
func writeWhy(w io.Writer, h *preflight.Holders) {
	var what []string
	for _, p := range h.Protocols {
		what = append(what, fmt.Sprintf("%d/%s", h.Port, p))
	}
	for _, n := range h.Notes {
		fmt.Fprintf(w, "warning: %s [%s]\n", n.Detail, n.Kind)
	}
	if len(h.Holders) == 0 {
		fmt.Fprintf(w, "nothing holds port %s (checked %s)\n", strings.Join(what, " or "), h.Checked)
		return
	}
	for _, hd := range h.Holders {
		fmt.Fprintln(w, preflight.HolderLine(hd, h.Engine))
	}
	fmt.Fprintf(w, "%s of port %s (checked %s)\n", plural(len(h.Holders), "holder", "holders"), strings.Join(what, " or "), h.Checked)
}
