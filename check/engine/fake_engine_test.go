package engine

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

// fakeEngine is an HTTP server that answers like a Docker daemon on a unix
// socket (or TCP): /_ping with the daemon's headers, /version, and
// /v{version}/containers/json, refusing API versions newer than its own
// the way dockerd does. It records every request it saw.
type fakeEngine struct {
	// Host is the endpoint to reach it: unix:///tmp/.../docker.sock.
	Host string

	apiVersion string
	delay      time.Duration
	status     int    // for /containers/json; 0 means 200
	body       []byte // /containers/json response
	info       string // /info response; "" answers 404, as an engine without it would
	tcp        bool
	tls        bool
	stop       chan struct{}

	// CAPEM is the server certificate in PEM, with withTLS.
	CAPEM []byte

	mu   sync.Mutex
	seen []string // "METHOD /path?query"
}

type fakeOption func(*fakeEngine)

// withAPIVersion sets the highest API version the fake speaks.
func withAPIVersion(v string) fakeOption { return func(f *fakeEngine) { f.apiVersion = v } }

// withDelay makes every answer wait d (or until the client goes away).
func withDelay(d time.Duration) fakeOption { return func(f *fakeEngine) { f.delay = d } }

// withStatus makes /containers/json fail with an HTTP status.
func withStatus(code int) fakeOption { return func(f *fakeEngine) { f.status = code } }

// withBody replaces the /containers/json body, e.g. with a fixture.
func withBody(b []byte) fakeOption { return func(f *fakeEngine) { f.body = b } }

// withTCP listens on 127.0.0.1 instead of a unix socket.
// withInfo sets the JSON body of GET /info (a system.Info).
func withInfo(body string) fakeOption { return func(f *fakeEngine) { f.info = body } }

func withTCP() fakeOption { return func(f *fakeEngine) { f.tcp = true } }

// withTLS serves HTTPS on 127.0.0.1, like a daemon started with --tlsverify.
func withTLS() fakeOption { return func(f *fakeEngine) { f.tcp, f.tls = true, true } }

// newFakeEngine starts a fake daemon serving containers; it stops, and
// releases any request it holds, when the test ends.
func newFakeEngine(t *testing.T, containers []container.Summary, opts ...fakeOption) *fakeEngine {
	t.Helper()
	f := &fakeEngine{apiVersion: "1.47", stop: make(chan struct{})}
	if containers == nil {
		containers = []container.Summary{}
	}
	body, err := json.Marshal(containers)
	if err != nil {
		t.Fatal(err)
	}
	f.body = body
	for _, o := range opts {
		o(f)
	}

	var l net.Listener
	if f.tcp {
		l, err = net.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			f.Host = "tcp://" + l.Addr().String()
		}
	} else {
		// Not t.TempDir: unix socket paths are limited to about 100 bytes
		// and test names make those long.
		dir, derr := os.MkdirTemp("", "fakeengine")
		if derr != nil {
			t.Fatal(derr)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		sock := filepath.Join(dir, "docker.sock")
		l, err = net.Listen("unix", sock)
		f.Host = "unix://" + sock
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // TLS tests provoke handshake errors
	srv.Listener.Close()
	srv.Listener = l
	if f.tls {
		srv.StartTLS()
		f.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	} else {
		srv.Start()
	}
	t.Cleanup(func() {
		close(f.stop)
		srv.CloseClientConnections()
		srv.Close()
	})
	return f
}

// paths returns the requests seen so far.
func (f *fakeEngine) paths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

var versionedPath = regexp.MustCompile(`^/v([0-9]+\.[0-9]+)(/.*)$`)

func (f *fakeEngine) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.seen = append(f.seen, r.Method+" "+r.URL.RequestURI())
	f.mu.Unlock()

	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-r.Context().Done():
			return
		case <-f.stop:
			return
		}
	}

	h := w.Header()
	h.Set("Api-Version", f.apiVersion)
	h.Set("Docker-Experimental", "false")
	h.Set("Ostype", "linux")
	h.Set("Server", "Docker/27.5.1 (linux)")

	path := r.URL.Path
	if m := versionedPath.FindStringSubmatch(path); m != nil {
		if versionLess(f.apiVersion, m[1]) {
			f.jsonError(w, http.StatusBadRequest, fmt.Sprintf("client version %s is too new. Maximum supported API version is %s", m[1], f.apiVersion))
			return
		}
		if versionLess(m[1], "1.24") {
			f.jsonError(w, http.StatusBadRequest, fmt.Sprintf("client version %s is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version", m[1]))
			return
		}
		path = m[2]
	}

	switch {
	case path == "/_ping" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		h.Set("Builder-Version", "2")
		h.Set("Swarm", "inactive")
		h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
		h.Set("Pragma", "no-cache")
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write([]byte("OK"))
		}
	case path == "/version" && r.Method == http.MethodGet:
		f.json(w, map[string]any{
			"Platform":      map[string]string{"Name": "Docker Engine - Community"},
			"Version":       "27.5.1",
			"ApiVersion":    f.apiVersion,
			"MinAPIVersion": "1.24",
			"GitCommit":     "4c9b3b0",
			"GoVersion":     "go1.22.11",
			"Os":            "linux",
			"Arch":          "amd64",
			"KernelVersion": "6.8.0-51-generic",
			"BuildTime":     "2025-01-22T13:41:17.000000000+00:00",
		})
	case path == "/containers/json" && r.Method == http.MethodGet:
		if f.status != 0 {
			f.jsonError(w, f.status, "fake engine failure")
			return
		}
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(f.body)
	case path == "/info" && r.Method == http.MethodGet && f.info != "":
		h.Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(f.info))
	default:
		f.jsonError(w, http.StatusNotFound, "page not found")
	}
}

func (f *fakeEngine) json(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeEngine) jsonError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// versionLess compares "major.minor" API versions numerically.
func versionLess(a, b string) bool {
	am, an := splitVersion(a)
	bm, bn := splitVersion(b)
	return am < bm || am == bm && an < bn
}

func splitVersion(v string) (int, int) {
	maj, minor, _ := strings.Cut(v, ".")
	x, _ := strconv.Atoi(maj)
	y, _ := strconv.Atoi(minor)
	return x, y
}
