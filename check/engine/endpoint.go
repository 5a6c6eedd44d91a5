// Package engine is the Docker engine's view of published ports: which
// engine the docker CLI would talk to, which running containers publish
// which host ports, and how to recognise the engine's own processes in the
// host's socket table.
//
// The host's socket table says that something holds a port; only the engine
// can say which container, of which compose project, holds it. The engine
// is also the only truth when it is remote (the ports are published on
// another machine) and when this check runs inside a container (the socket
// table is the container's, not the host's).
package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Endpoint is the engine the docker CLI would talk to, and why.
type Endpoint struct {
	// Host is the engine address as the docker CLI spells it:
	// unix:///var/run/docker.sock, npipe:////./pipe/docker_engine,
	// tcp://host:2376, ssh://user@host.
	Host string
	// Context is the docker CLI context the endpoint comes from ("default"
	// when none is configured); empty when DOCKER_HOST chose it.
	Context string
	// Remote reports that published ports land on another machine, so the
	// local socket table says nothing about them. Every tcp:// endpoint is
	// remote, tcp://localhost too: it is as often an `ssh -L` tunnel to a
	// remote daemon as a local daemon exposed on TCP, and the two cannot be
	// told apart from here. unix:// and npipe:// are local (Docker Desktop,
	// colima and podman machine forward published ports to this host).
	Remote bool
	// Source says where the endpoint was found, for messages:
	// "DOCKER_HOST", "context \"desktop-linux\"", "default socket".
	Source string
	// TLS is the client TLS material, nil for a plain connection.
	TLS *TLS
	// APIVersion pins the API version (DOCKER_API_VERSION, like the docker
	// CLI); empty means negotiate with the engine.
	APIVersion string
	// Fallbacks are the engines to ask, in order, when this one does not
	// answer: the Podman sockets that exist, when no Docker endpoint was
	// configured (see Resolve).
	Fallbacks []Endpoint
}

// TLS is the client TLS material of an endpoint, as the docker CLI finds
// it: from DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set, or from a
// context's tls/ folder. Empty paths are files that do not exist.
type TLS struct {
	CAFile, CertFile, KeyFile string
	SkipVerify                bool
}

// Env is everything endpoint resolution reads from the process: its
// environment, home folder, operating system and file system. The caller
// fills it from the environment it was given (the CLI passes its own, tests
// theirs), so nothing here reads the real process environment.
type Env struct {
	// GOOS selects the default socket: "windows" uses the named pipe,
	// "darwin" also looks for the Docker Desktop socket.
	GOOS string
	// Vars holds environment variables (DOCKER_HOST, DOCKER_CONTEXT,
	// DOCKER_CONFIG, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, DOCKER_API_VERSION,
	// XDG_RUNTIME_DIR, and Podman's CONTAINER_HOST).
	Vars map[string]string
	// HomeDir is the user's home folder, the parent of the default
	// ~/.docker configuration folder.
	HomeDir string
	// Exists reports whether a file exists; nil means os.Stat. Tests use it
	// to pretend sockets such as /var/run/docker.sock are there.
	Exists func(path string) bool
	// ReadFile reads a file; nil means os.ReadFile.
	ReadFile func(path string) ([]byte, error)
}

func (e Env) exists(path string) bool {
	if e.Exists != nil {
		return e.Exists(path)
	}
	_, err := os.Stat(path)
	return err == nil
}

func (e Env) readFile(path string) ([]byte, error) {
	if e.ReadFile != nil {
		return e.ReadFile(path)
	}
	return os.ReadFile(path)
}

// configDir is the docker CLI configuration folder: DOCKER_CONFIG, else
// ~/.docker.
func (e Env) configDir() string {
	if d := e.Vars["DOCKER_CONFIG"]; d != "" {
		return d
	}
	return filepath.Join(e.HomeDir, ".docker")
}

// Resolve finds the engine the docker CLI would talk to, in the CLI's own
// order: DOCKER_HOST; else the context named by DOCKER_CONTEXT; else
// currentContext in config.json; else Podman's CONTAINER_HOST; else the
// default socket, with the Podman sockets that exist as its Fallbacks. A context named
// but missing is an error, as it is for the CLI: guessing another engine
// would check the wrong machine.
func Resolve(env Env) (Endpoint, error) {
	if host := env.Vars["DOCKER_HOST"]; host != "" {
		ep := Endpoint{Host: host, Source: "DOCKER_HOST", Remote: isRemote(host)}
		ep.TLS = env.tlsFromVars()
		ep.APIVersion = env.Vars["DOCKER_API_VERSION"]
		return ep, nil
	}
	name, from := env.Vars["DOCKER_CONTEXT"], "DOCKER_CONTEXT"
	if name == "" {
		var err error
		name, err = env.currentContext()
		if err != nil {
			return Endpoint{}, err
		}
		from = "config.json"
	}
	var ep Endpoint
	if name == "" || name == "default" {
		if host := env.Vars["CONTAINER_HOST"]; host != "" {
			// Podman's own variable (podman --remote, podman machine): a
			// user who set it and no Docker endpoint means this engine.
			ep = Endpoint{Host: host, Source: "CONTAINER_HOST", Remote: isRemote(host)}
			ep.APIVersion = env.Vars["DOCKER_API_VERSION"]
			return ep, nil
		}
		ep = env.defaultEndpoint()
		ep.Context = "default"
		ep.Fallbacks = env.podmanSockets()
	} else {
		var err error
		ep, err = env.contextEndpoint(name, from)
		if err != nil {
			return Endpoint{}, err
		}
	}
	ep.APIVersion = env.Vars["DOCKER_API_VERSION"]
	return ep, nil
}

// tlsFromVars mirrors the docker CLI: DOCKER_TLS_VERIFY turns TLS on, with
// verification, using the files of DOCKER_CERT_PATH (default: the
// configuration folder) that exist. The CLI ignores DOCKER_CERT_PATH alone.
func (e Env) tlsFromVars() *TLS {
	if e.Vars["DOCKER_TLS_VERIFY"] == "" {
		return nil
	}
	dir := e.Vars["DOCKER_CERT_PATH"]
	if dir == "" {
		dir = e.configDir()
	}
	return e.tlsFiles(dir, false)
}

func (e Env) tlsFiles(dir string, skipVerify bool) *TLS {
	t := &TLS{SkipVerify: skipVerify}
	for name, dst := range map[string]*string{"ca.pem": &t.CAFile, "cert.pem": &t.CertFile, "key.pem": &t.KeyFile} {
		if p := filepath.Join(dir, name); e.exists(p) {
			*dst = p
		}
	}
	return t
}

// currentContext reads currentContext from config.json; a missing file
// means the default context, as for the CLI.
func (e Env) currentContext() (string, error) {
	path := filepath.Join(e.configDir(), "config.json")
	data, err := e.readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read docker CLI config: %w", err)
	}
	var cfg struct {
		CurrentContext string `json:"currentContext"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return "", fmt.Errorf("parse docker CLI config %s: %w", path, err)
	}
	return cfg.CurrentContext, nil
}

// contextEndpoint reads a named context from the CLI's context store, where
// each context lives in a folder named after the SHA-256 of its name.
func (e Env) contextEndpoint(name, from string) (Endpoint, error) {
	sum := sha256.Sum256([]byte(name))
	digest := hex.EncodeToString(sum[:])
	path := filepath.Join(e.configDir(), "contexts", "meta", digest, "meta.json")
	data, err := e.readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Endpoint{}, fmt.Errorf("docker context %q (from %s) does not exist: no %s", name, from, path)
	}
	if err != nil {
		return Endpoint{}, fmt.Errorf("read docker context %q: %w", name, err)
	}
	var meta struct {
		Endpoints map[string]struct {
			Host          string
			SkipTLSVerify bool
		}
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		return Endpoint{}, fmt.Errorf("parse docker context %q (%s): %w", name, path, err)
	}
	docker, ok := meta.Endpoints["docker"]
	if !ok {
		return Endpoint{}, fmt.Errorf("docker context %q has no docker endpoint (%s)", name, path)
	}
	source := fmt.Sprintf("context %q", name)
	if docker.Host == "" {
		// The CLI falls back to its default host for an empty one.
		ep := e.defaultEndpoint()
		ep.Context, ep.Source = name, source
		return ep, nil
	}
	ep := Endpoint{Host: docker.Host, Context: name, Source: source, Remote: isRemote(docker.Host)}
	tlsDir := filepath.Join(e.configDir(), "contexts", "tls", digest, "docker")
	if t := e.tlsFiles(tlsDir, docker.SkipTLSVerify); t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.SkipVerify {
		ep.TLS = t
	}
	return ep, nil
}

// defaultEndpoint is the CLI's default socket, plus the sockets a user
// without a context would still expect to be found: the docker CLI only
// tries /var/run/docker.sock, but Docker Desktop on macOS creates it only
// when "Allow the default Docker socket" is on, and a rootless daemon
// listens in $XDG_RUNTIME_DIR. When none exists, the standard socket is
// returned so that the warning names the expected place.
func (e Env) defaultEndpoint() Endpoint {
	if e.GOOS == "windows" {
		return Endpoint{Host: "npipe:////./pipe/docker_engine", Source: "default named pipe"}
	}
	const std = "/var/run/docker.sock"
	if !e.exists(std) {
		if e.GOOS == "darwin" && e.HomeDir != "" {
			if p := filepath.Join(e.HomeDir, ".docker", "run", "docker.sock"); e.exists(p) {
				return Endpoint{Host: "unix://" + p, Source: "Docker Desktop socket"}
			}
		}
		if dir := e.Vars["XDG_RUNTIME_DIR"]; dir != "" {
			if p := filepath.Join(dir, "docker.sock"); e.exists(p) {
				return Endpoint{Host: "unix://" + p, Source: "rootless socket"}
			}
		}
	}
	return Endpoint{Host: "unix://" + std, Source: "default socket"}
}

// podmanSockets are the Podman API sockets that exist, rootless first
// (the user's own engine) then rootful: the places `podman system service`
// and its systemd socket units listen on. They are asked when no Docker
// socket answers, so a Podman user without podman-docker's
// /var/run/docker.sock link is checked against Podman.
func (e Env) podmanSockets() []Endpoint {
	if e.GOOS != "linux" {
		return nil // podman machine forwards its socket to a path it prints
	}
	var out []Endpoint
	if dir := e.Vars["XDG_RUNTIME_DIR"]; dir != "" {
		if p := filepath.Join(dir, "podman", "podman.sock"); e.exists(p) {
			out = append(out, Endpoint{Host: "unix://" + p, Source: "rootless Podman socket"})
		}
	}
	if p := "/run/podman/podman.sock"; e.exists(p) {
		out = append(out, Endpoint{Host: "unix://" + p, Source: "rootful Podman socket"})
	}
	return out
}

// isRemote reports whether published ports of this engine land on another
// machine; see Endpoint.Remote.
func isRemote(host string) bool {
	scheme, _, _ := strings.Cut(host, "://")
	switch strings.ToLower(scheme) {
	case "unix", "npipe":
		return false
	}
	return true
}
