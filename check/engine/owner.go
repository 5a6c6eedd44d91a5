package engine

import (
	"flag"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// IsEngineProcess reports whether a process of this name holds ports for a
// container engine (research/sockets.md §5.2): a socket held by one of them
// belongs to a container, to be named with Match, not to a host program.
// name may be a path, carry Windows' .exe, or be cut short the way socket
// tables cut names: 15 characters for Linux comm (TASK_COMM_LEN - 1), 9 for
// the COMMAND column of lsof, which gopsutil reads on macOS ("com.docke").
func IsEngineProcess(name string) bool {
	engineProcesses := [...]string{
		"docker-proxy", // rootful Docker, userland proxy on
		"dockerd",      // rootful Docker, proxy off (v28+: the daemon binds)
		"rootlesskit",  // rootless Docker, builtin port driver
		"slirp4netns",  // rootless Docker or Podman, slirp4netns port driver
		"pasta",        // rootless Docker or Podman 5 with pasta networking
		"passt",        // pasta is a link to passt; the process may carry either name
		"conmon",       // rootful Podman keeps the reserved port fds open
		"rootlessport", // rootless Podman
		"containers-rootlessport",
		"gvproxy",            // podman machine (macOS, Windows) forwards published ports
		"com.docker.backend", // Docker Desktop (macOS, Windows, Linux)
		"com.docker.vpnkit",  // older Docker Desktop for Mac
		"com.docker.slirp",   // older Docker Desktop for Mac
		"vpnkit",             // older Docker Desktop
		"wslrelay",           // WSL localhost forwarding (Docker Desktop WSL 2 backend)
	}
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	name = strings.ToLower(name)
	name = strings.TrimSuffix(name, ".exe")
	name = strings.TrimSuffix(name, ".avx2") // passt ships pasta.avx2, passt.avx2
	// "container" is also containerd cut by lsof: too ambiguous to claim.
	if name == "" || name == "container" {
		return false
	}
	for _, p := range engineProcesses {
		if name == p {
			return true
		}
		for _, width := range [...]int{15, 9} {
			if len(p) > width && name == p[:width] {
				return true
			}
		}
	}
	return false
}

// DockerProxy is what docker-proxy's command line says about the port it
// holds: the host side and the container it forwards to.
type DockerProxy struct {
	Proto         string // "tcp", "udp" or "sctp"
	HostIP        netip.Addr
	HostPort      uint16
	ContainerIP   netip.Addr
	ContainerPort uint16
	// UseListenFD is set from Docker 28 on: the daemon binds the socket and
	// hands it to docker-proxy, so dockerd may show up as an owner too.
	UseListenFD bool
}

// ParseDockerProxyArgs reads docker-proxy's argv, as dockerd starts it:
//
//	docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80 [-use-listen-fd]
//
// It parses with Go's flag package, as docker-proxy itself does, so -x=v
// and --x forms are read the same way, with docker-proxy's defaults (tcp,
// host IP 0.0.0.0). argv[0] may be the program (any path to docker-proxy)
// or already the first flag. It reports false when argv is not a
// docker-proxy command line holding a host port.
func ParseDockerProxyArgs(argv []string) (DockerProxy, bool) {
	if len(argv) > 0 && !strings.HasPrefix(argv[0], "-") {
		base := argv[0][strings.LastIndexAny(argv[0], `/\`)+1:]
		if base != "docker-proxy" {
			return DockerProxy{}, false
		}
		argv = argv[1:]
	}
	fs := flag.NewFlagSet("docker-proxy", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		p                      DockerProxy
		hostIP, containerIP    string
		hostPort, containerPrt string
	)
	fs.StringVar(&p.Proto, "proto", "tcp", "")
	fs.StringVar(&hostIP, "host-ip", "0.0.0.0", "")
	fs.StringVar(&hostPort, "host-port", "", "")
	fs.StringVar(&containerIP, "container-ip", "0.0.0.0", "")
	fs.StringVar(&containerPrt, "container-port", "", "")
	fs.BoolVar(&p.UseListenFD, "use-listen-fd", false, "")
	// A later docker-proxy may add flags. Declaring unknown ones keeps
	// parsing past "-new" (a boolean, like -use-listen-fd) and "-new=v"; the
	// daemon appends new flags after the ones read here, so "-new v" losing
	// what follows costs nothing.
	for _, a := range argv {
		name, _, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name == "" || fs.Lookup(name) != nil {
			continue
		}
		if inline {
			fs.String(name, "", "")
		} else {
			fs.Bool(name, false, "")
		}
	}
	if err := fs.Parse(argv); err != nil {
		return DockerProxy{}, false
	}
	var err error
	if p.HostIP, err = netip.ParseAddr(hostIP); err != nil {
		return DockerProxy{}, false
	}
	if p.ContainerIP, err = netip.ParseAddr(containerIP); err != nil {
		return DockerProxy{}, false
	}
	if p.HostPort = parsePort(hostPort); p.HostPort == 0 {
		return DockerProxy{}, false
	}
	p.ContainerPort = parsePort(containerPrt)
	p.Proto = strings.ToLower(p.Proto)
	return p, true
}

// parsePort returns 0 for anything that is not a port number.
func parsePort(s string) uint16 {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0
	}
	return uint16(n)
}

// Match finds the running container that publishes port/proto on hostIP,
// to name the container behind a socket held by an engine process.
//
// A container binding matches when it is the same address (IPv4-mapped
// IPv6 is its IPv4 address), a wildcard (0.0.0.0 or ::) or unset; an
// invalid hostIP (the socket's address is unknown) matches any binding.
// The most specific binding wins, so 127.0.0.1:8080 names the container
// published on 127.0.0.1 over one on 0.0.0.0; among equals, the first in
// containers wins. proto may carry a family suffix ("tcp6").
func Match(containers []Container, proto string, hostIP netip.Addr, port uint16) (Container, bool) {
	proto = strings.TrimRight(strings.ToLower(proto), "46")
	hostIP = hostIP.Unmap()
	best, bestRank := Container{}, 0
	for _, c := range containers {
		for _, p := range c.Ports {
			if p.Published != port || p.Protocol != proto {
				continue
			}
			if r := matchRank(p.HostIP.Unmap(), hostIP); r > bestRank {
				best, bestRank = c, r
			}
		}
	}
	return best, bestRank > 0
}

// matchRank scores how well a container's binding explains a socket on
// hostIP: 0 not at all, higher is more specific.
func matchRank(binding, hostIP netip.Addr) int {
	switch {
	case !hostIP.IsValid():
		return 1
	case binding == hostIP:
		return 4
	case binding.IsUnspecified() && binding.Is4() == hostIP.Is4():
		return 3 // the wildcard of the socket's family
	case !binding.IsValid() || binding.IsUnspecified():
		return 2 // a wildcard of the other family: dual-stack sockets
	}
	return 0
}
