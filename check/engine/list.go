package engine

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// DefaultTimeout bounds a whole List call when the caller passes none. A
// local engine answers in a few milliseconds; a pre-commit hook must not
// wait long for one that is stopped or wedged.
const DefaultTimeout = 500 * time.Millisecond

// Compose labels on every container that docker compose creates.
const (
	LabelProject = "com.docker.compose.project"
	LabelService = "com.docker.compose.service"
	LabelNumber  = "com.docker.compose.container-number"

	labelSwarmService = "com.docker.swarm.service.name"
)

// ErrNoEngine is matched (errors.Is) by every error meaning that no engine
// could be talked to: no socket, connection refused, permission denied on
// the socket, timeout, a TLS mismatch, or an endpoint this package does not
// dial (ssh://). The check fails open on it: one warning, and the host's
// socket table alone. Other errors (the engine answered with an error, or
// the endpoint is malformed) are worth reporting as they are.
var ErrNoEngine = errors.New("no Docker engine answered")

// UnreachableError is the error List returns when no engine answered. It
// matches ErrNoEngine and unwraps to the cause.
type UnreachableError struct {
	Endpoint Endpoint
	Err      error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("Docker engine at %s (%s) unreachable: %v", e.Endpoint.Host, e.Endpoint.Source, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNoEngine) true.
func (e *UnreachableError) Is(target error) bool { return target == ErrNoEngine }

// errSSHNotDialed is why ssh:// endpoints are reported unreachable.
//
// The docker CLI reaches an ssh:// engine by running
// `ssh -- host docker system dial-stdio`; the moby client cannot dial it by
// itself. This check runs implicitly, from git hooks and make targets, and
// must not execute programs behind the user's back: ssh may prompt for a
// passphrase or host key (hanging a hook), read ~/.ssh/config, open a
// connection that takes longer than the whole check, or run a command on
// another machine. So an ssh engine is reported once, as unreachable, with
// the way to check it anyway.
var errSSHNotDialed = errors.New("ssh:// engines are not dialed, since that means running ssh behind your back; " +
	"to check that engine, forward its socket (ssh -NL 2375:/var/run/docker.sock HOST) and set DOCKER_HOST=tcp://localhost:2375")

// Port is one published port of a running container.
type Port struct {
	// HostIP is the host address the port is bound to; the zero Addr when
	// the engine reports none. 0.0.0.0 and :: are the wildcards.
	HostIP    netip.Addr
	Published uint16 // the host port
	Target    uint16 // the container port
	Protocol  string // "tcp", "udp" or "sctp"
}

// Container is a running container and the host ports it publishes.
type Container struct {
	ID    string
	Name  string // without the leading slash
	Image string
	// Project, Service and Number come from the compose labels; empty (0)
	// for containers compose did not create.
	Project string
	Service string
	Number  int
	// SwarmService names the swarm service whose task this container is
	// (a host-mode port of a service is its task's binding).
	SwarmService string
	Ports        []Port
}

// List returns the engine's running containers that publish at least one
// host port, sorted by name, each with its ports sorted. It negotiates the
// API version with the engine (unless Endpoint.APIVersion pins one), so
// old and new engines both answer. The whole call is bounded by timeout
// (DefaultTimeout when zero or less). When no engine answers, the error
// matches ErrNoEngine; a caller that cancels ctx gets its context.Canceled.
func List(ctx context.Context, ep Endpoint, timeout time.Duration) ([]Container, error) {
	v, err := Ask(ctx, ep, timeout)
	return v.Containers, err
}

// View is what the engine says about the host's ports.
type View struct {
	// Containers are the running containers that publish host ports.
	Containers []Container
	// Rootless says whether the engine runs rootless (it cannot bind
	// ports below the unprivileged start); nil when /info did not say.
	Rootless *bool
	// APIVersion is the engine's API version ("1.41"), which dates its
	// behaviour: before 1.46 (Docker 27) a host range is allocated one
	// port at a time, without retrying a port a host socket holds.
	APIVersion string
	// Version is the engine's own version string, for messages.
	Version string
	// Engine names the engine for messages: "Docker" or "Podman".
	Engine string
	// Swarm is the swarm this engine belongs to, nil outside one.
	Swarm *Swarm
	// PID is the engine's process as the kernel names it on its unix
	// socket (SO_PEERCRED, Linux); 0 when unknown. It says whether the
	// engine binds in this network namespace (PIDNamespace) and how it
	// publishes (UserlandProxy), without dialing it again.
	PID int
}

// Ask is List plus whether the engine is rootless, from GET /info's
// SecurityOptions ("name=rootless"), in the same time budget. An engine
// that answers the list but not /info leaves Rootless unknown.
func Ask(ctx context.Context, ep Endpoint, timeout time.Duration) (View, error) {
	if scheme, _, _ := strings.Cut(ep.Host, "://"); strings.EqualFold(scheme, "ssh") {
		return View{}, &UnreachableError{Endpoint: ep, Err: errSSHNotDialed}
	}
	// A unix socket that is not there is the usual machine without Docker
	// (CI, an engine that is stopped): saying so needs no HTTP client, whose
	// set-up and failed request cost more than the rest of the check.
	if path, ok := strings.CutPrefix(ep.Host, "unix://"); ok {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return View{}, &UnreachableError{Endpoint: ep, Err: err}
		}
	}
	opts := []client.Opt{client.WithUserAgent("compose-preflight")}
	if ep.TLS != nil {
		cfg, err := ep.TLS.config()
		if err != nil {
			return View{}, fmt.Errorf("engine at %s (%s): %w", ep.Host, ep.Source, err)
		}
		// A fresh transport carrying the TLS configuration; WithHost, after
		// it, sets its dialer. The client switches to https when it sees it.
		opts = append(opts, client.WithHTTPClient(&http.Client{
			Transport:     &http.Transport{TLSClientConfig: cfg},
			CheckRedirect: client.CheckRedirect,
		}))
	}
	opts = append(opts, client.WithHost(ep.Host))
	if ep.APIVersion != "" {
		// Pinning disables negotiation, as DOCKER_API_VERSION does for the CLI.
		opts = append(opts, client.WithAPIVersion(ep.APIVersion))
	}
	cli, err := client.New(opts...)
	if err != nil {
		return View{}, fmt.Errorf("engine client for %s (%s): %w", ep.Host, ep.Source, err)
	}
	defer cli.Close()

	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// The first request pings /_ping and downgrades the API version to the
	// engine's when it is older (negotiation is on by default in this
	// client); the default options list running containers only.
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{})
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			// The client's own message names the URL-escaped socket path;
			// the timeout is what the user can act on.
			return View{}, &UnreachableError{Endpoint: ep, Err: fmt.Errorf("no answer within %v: %w", timeout, context.DeadlineExceeded)}
		}
		if client.IsErrConnectionFailed(err) {
			return View{}, &UnreachableError{Endpoint: ep, Err: err}
		}
		return View{}, fmt.Errorf("list containers at %s (%s): %w", ep.Host, ep.Source, err)
	}
	var out []Container
	for _, s := range res.Items {
		if c := fromSummary(s); len(c.Ports) > 0 {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Container) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	v := View{Containers: out, APIVersion: cli.ClientVersion()}
	if ep.APIVersion != "" {
		// Pinned: the client did not negotiate, so ask the engine its own.
		if ping, err := cli.Ping(ctx, client.PingOptions{}); err == nil && ping.APIVersion != "" {
			v.APIVersion = ping.APIVersion
		}
	}
	v.Engine = "Docker"
	p := socketPeer(ep)
	if p.known {
		v.PID = p.pid
	}
	if p.known && p.name == "podman" {
		// Podman: rootless when its service runs as a user; its /info
		// says neither, has no swarm, and is slow (0.4 s on 4.3).
		rootless := p.uid != 0
		v.Engine, v.Rootless = "Podman", &rootless
		if rootless {
			// rootlessport holds one dual-stack [::] socket: both families,
			// as an empty IP means for Docker
			return v, nil
		}
		// Rootful Podman leaves IP out of a port published on every
		// address, and binds it on 0.0.0.0 only (conmon holds one IPv4
		// socket; measured on 4.3).
		for ci := range v.Containers {
			for pi := range v.Containers[ci].Ports {
				if p := &v.Containers[ci].Ports[pi]; !p.HostIP.IsValid() {
					p.HostIP = netip.IPv4Unspecified()
				}
			}
		}
		return v, nil
	}
	if info, err := cli.Info(ctx, client.InfoOptions{}); err == nil {
		v.Version = info.Info.ServerVersion
		rootless := slices.ContainsFunc(info.Info.SecurityOptions, func(o string) bool {
			return strings.Contains(o, "name=rootless")
		})
		v.Rootless = &rootless
		if v.Swarm, err = askSwarm(ctx, cli, info.Info.Swarm); err != nil {
			return View{}, fmt.Errorf("engine at %s (%s): %w", ep.Host, ep.Source, err)
		}
	}
	return v, nil
}

// fromSummary keeps what a port check needs from the engine's summary.
func fromSummary(s container.Summary) Container {
	c := Container{
		ID:      s.ID,
		Name:    containerName(s.Names),
		Image:   s.Image,
		Project: s.Labels[LabelProject],
		Service: s.Labels[LabelService],

		SwarmService: s.Labels[labelSwarmService],
	}
	if n, err := strconv.Atoi(s.Labels[LabelNumber]); err == nil {
		c.Number = n
	}
	for _, p := range s.Ports {
		if p.PublicPort == 0 {
			continue // exposed, not published: holds no host port
		}
		c.Ports = append(c.Ports, Port{
			HostIP:    p.IP,
			Published: p.PublicPort,
			Target:    p.PrivatePort,
			Protocol:  strings.ToLower(p.Type),
		})
	}
	slices.SortFunc(c.Ports, func(a, b Port) int {
		return cmp.Or(
			cmp.Compare(a.Published, b.Published),
			cmp.Compare(a.Protocol, b.Protocol),
			a.HostIP.Compare(b.HostIP),
			cmp.Compare(a.Target, b.Target),
		)
	})
	return c
}

// containerName picks the container's own name among Names, which also
// lists legacy link aliases ("/web/db"), the way `docker ps` does.
func containerName(names []string) string {
	for _, n := range names {
		if n = strings.TrimPrefix(n, "/"); n != "" && !strings.Contains(n, "/") {
			return n
		}
	}
	if len(names) > 0 {
		return strings.TrimPrefix(names[0], "/")
	}
	return ""
}

// config builds the client TLS configuration from the endpoint's files.
func (t *TLS) config() (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The user chose this (SkipTLSVerify in the context), as for the CLI.
		InsecureSkipVerify: t.SkipVerify, //nolint:gosec
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in TLS CA %s", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" && t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load TLS client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
