package engine

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

// testTimeout is generous: tests assert what kind of error comes back,
// never how fast.
const testTimeout = 5 * time.Second

func localEndpoint(f *fakeEngine) Endpoint {
	return Endpoint{Host: f.Host, Source: "test"}
}

func TestListParsesEngineResponse(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "containers.json"))
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeEngine(t, nil, withBody(body))

	got, err := List(context.Background(), localEndpoint(f), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	want := []Container{
		{
			ID:    "3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b",
			Name:  "resolver", // "/other/dns" is a link alias
			Image: "coredns/coredns:1.12.0",
			Ports: []Port{
				{HostIP: netip.MustParseAddr("0.0.0.0"), Published: 1053, Target: 53, Protocol: "tcp"},
				{HostIP: netip.MustParseAddr("0.0.0.0"), Published: 1053, Target: 53, Protocol: "udp"},
			},
		},
		{
			ID:      "1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a",
			Name:    "shop-db-1",
			Image:   "postgres:17",
			Project: "shop", Service: "db", Number: 1,
			Ports: []Port{
				{HostIP: netip.MustParseAddr("0.0.0.0"), Published: 5432, Target: 5432, Protocol: "tcp"},
				{HostIP: netip.MustParseAddr("::"), Published: 5432, Target: 5432, Protocol: "tcp"},
			},
		},
		{
			ID:      "9f2c1e7b5d4a3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b",
			Name:    "shop-web-1",
			Image:   "nginx:1.27",
			Project: "shop", Service: "web", Number: 1,
			Ports: []Port{
				{HostIP: netip.MustParseAddr("127.0.0.1"), Published: 8080, Target: 80, Protocol: "tcp"},
			},
		},
		// shop-worker-2 publishes nothing and is left out.
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("List:\n got %+v\nwant %+v", got, want)
	}
	for _, p := range f.paths() {
		if strings.Contains(p, "containers/json") && strings.Contains(p, "all=") {
			t.Errorf("asked for stopped containers too: %s", p)
		}
	}
}

func TestListTypedSummaryAndUnsetHostIP(t *testing.T) {
	f := newFakeEngine(t, []container.Summary{{
		ID:     "abc",
		Names:  []string{"/solo"},
		Image:  "busybox",
		Labels: map[string]string{LabelProject: "p", LabelService: "s", LabelNumber: "not-a-number"},
		State:  container.StateRunning,
		Ports: []container.PortSummary{
			{PrivatePort: 7, PublicPort: 7007, Type: "UDP"}, // no IP
			{PrivatePort: 9, Type: "tcp"},
		},
	}})
	got, err := List(context.Background(), localEndpoint(f), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	want := []Container{{
		ID: "abc", Name: "solo", Image: "busybox", Project: "p", Service: "s",
		Ports: []Port{{Published: 7007, Target: 7, Protocol: "udp"}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("List:\n got %+v\nwant %+v", got, want)
	}
	if got[0].Ports[0].HostIP.IsValid() {
		t.Errorf("unset host IP should be the zero Addr, got %v", got[0].Ports[0].HostIP)
	}
}

func TestListNegotiatesAPIVersion(t *testing.T) {
	f := newFakeEngine(t, nil, withAPIVersion("1.41"))
	if _, err := List(context.Background(), localEndpoint(f), testTimeout); err != nil {
		t.Fatal(err)
	}
	seen := f.paths()
	if !slices.Contains(seen, "GET /v1.41/containers/json") {
		t.Errorf("the client did not use the engine's API version; requests: %q", seen)
	}
	if len(seen) == 0 || !strings.HasSuffix(seen[0], " /_ping") {
		t.Errorf("negotiation should start with an unversioned /_ping; requests: %q", seen)
	}
}

func TestListPinnedAPIVersion(t *testing.T) {
	f := newFakeEngine(t, nil, withAPIVersion("1.47"))
	ep := localEndpoint(f)
	ep.APIVersion = "1.43"
	v, err := Ask(context.Background(), ep, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	// The list and /info use the pinned version without negotiating; a
	// ping after the list asks the engine's own version, which dates its
	// behaviour (how it allocates host ranges).
	seen := f.paths()
	if !reflect.DeepEqual(seen, []string{"GET /v1.43/containers/json", "HEAD /_ping", "GET /v1.43/info"}) {
		t.Errorf("a pinned version must be used as is, without negotiation; requests: %q", seen)
	}
	if v.APIVersion != "1.47" {
		t.Errorf("APIVersion = %q, want the engine's own 1.47", v.APIVersion)
	}
}

// TestAskAPIVersion reports the engine's API version when negotiated.
func TestAskAPIVersion(t *testing.T) {
	f := newFakeEngine(t, nil, withAPIVersion("1.41"))
	v, err := Ask(context.Background(), localEndpoint(f), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if v.APIVersion != "1.41" {
		t.Errorf("APIVersion = %q, want 1.41", v.APIVersion)
	}
}

// TestAskRootless reads the engine's rootless mode from /info's
// SecurityOptions, and leaves it unknown when /info does not answer.
func TestAskRootless(t *testing.T) {
	for _, c := range []struct {
		info string
		want string
	}{
		{`{"SecurityOptions":["name=seccomp,profile=builtin","name=rootless","name=cgroupns"]}`, "true"},
		{`{"SecurityOptions":["name=seccomp,profile=builtin","name=cgroupns"]}`, "false"},
		{"", "unknown"},
	} {
		f := newFakeEngine(t, nil, withInfo(c.info))
		v, err := Ask(context.Background(), localEndpoint(f), testTimeout)
		if err != nil {
			t.Fatal(err)
		}
		got := "unknown"
		if v.Rootless != nil {
			got = strconv.FormatBool(*v.Rootless)
		}
		if got != c.want {
			t.Errorf("info %q: rootless %s, want %s", c.info, got, c.want)
		}
	}
}

func TestListPinnedVersionTooNew(t *testing.T) {
	f := newFakeEngine(t, nil, withAPIVersion("1.47"))
	ep := localEndpoint(f)
	ep.APIVersion = "1.50"
	_, err := List(context.Background(), ep, testTimeout)
	if err == nil || errors.Is(err, ErrNoEngine) || !strings.Contains(err.Error(), "too new") {
		t.Errorf("err = %v, want the engine refusing API 1.50", err)
	}
}

func TestListOverTCP(t *testing.T) {
	f := newFakeEngine(t, []container.Summary{{
		ID: "t1", Names: []string{"/tcp-1"},
		Ports: []container.PortSummary{{IP: netip.MustParseAddr("0.0.0.0"), PrivatePort: 80, PublicPort: 80, Type: "tcp"}},
	}}, withTCP())
	ep := Endpoint{Host: f.Host, Source: "DOCKER_HOST", Remote: isRemote(f.Host)}
	got, err := List(context.Background(), ep, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "tcp-1" {
		t.Errorf("List over tcp = %+v", got)
	}
	if !ep.Remote {
		t.Error("a tcp:// endpoint must count as remote")
	}
}

func TestListOverTLS(t *testing.T) {
	f := newFakeEngine(t, []container.Summary{{
		ID: "s1", Names: []string{"/secure-1"},
		Ports: []container.PortSummary{{IP: netip.MustParseAddr("0.0.0.0"), PrivatePort: 443, PublicPort: 8443, Type: "tcp"}},
	}}, withTLS())
	ca := filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, ca, string(f.CAPEM))

	for name, tlsFiles := range map[string]*TLS{
		"verified with the context's CA": {CAFile: ca},
		"SkipTLSVerify":                  {SkipVerify: true},
	} {
		t.Run(name, func(t *testing.T) {
			ep := Endpoint{Host: f.Host, Source: "test", Remote: true, TLS: tlsFiles}
			got, err := List(context.Background(), ep, testTimeout)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Name != "secure-1" {
				t.Errorf("List over TLS = %+v", got)
			}
		})
	}
	t.Run("plain HTTP to a TLS engine fails", func(t *testing.T) {
		_, err := List(context.Background(), Endpoint{Host: f.Host, Source: "test"}, testTimeout)
		// The engine answers (Go's TLS server replies 400 to plain HTTP), so
		// this is a configuration error to show as is, not "no engine".
		if err == nil || errors.Is(err, ErrNoEngine) || !strings.Contains(err.Error(), "HTTPS") {
			t.Errorf("err = %v, want the engine's complaint about plain HTTP", err)
		}
	})
	t.Run("unreadable CA is an error before dialing", func(t *testing.T) {
		ep := Endpoint{Host: f.Host, Source: "test", TLS: &TLS{CAFile: filepath.Join(t.TempDir(), "missing.pem")}}
		if _, err := List(context.Background(), ep, testTimeout); err == nil || errors.Is(err, ErrNoEngine) {
			t.Errorf("err = %v, want a TLS configuration error", err)
		}
	})
}

func TestListSlowEngineIsNoEngine(t *testing.T) {
	f := newFakeEngine(t, nil, withDelay(3*time.Second))
	_, err := List(context.Background(), localEndpoint(f), 50*time.Millisecond)
	if !errors.Is(err, ErrNoEngine) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrNoEngine from a deadline", err)
	}
	var ue *UnreachableError
	if !errors.As(err, &ue) || ue.Endpoint.Host != f.Host {
		t.Errorf("err = %#v, want an *UnreachableError naming %s", err, f.Host)
	}
}

func TestListRefusedIsNoEngine(t *testing.T) {
	dir, err := os.MkdirTemp("", "refused")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "docker.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	// Leave the socket file behind, with nobody listening: what a stopped
	// daemon leaves.
	l.SetUnlinkOnClose(false)
	l.Close()

	_, err = List(context.Background(), Endpoint{Host: "unix://" + sock, Source: "test"}, testTimeout)
	if !errors.Is(err, ErrNoEngine) {
		t.Errorf("stale socket: err = %v, want ErrNoEngine", err)
	}
}

func TestListMissingSocketIsNoEngine(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	_, err := List(context.Background(), Endpoint{Host: "unix://" + sock, Source: "test"}, testTimeout)
	if !errors.Is(err, ErrNoEngine) {
		t.Errorf("missing socket: err = %v, want ErrNoEngine", err)
	}
	if err != nil && !strings.Contains(err.Error(), sock) {
		t.Errorf("the message should name the socket: %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing socket: err = %v, want it to say the socket does not exist", err)
	}
}

func TestListSSHIsNotDialed(t *testing.T) {
	ep := Endpoint{Host: "ssh://alice@build-box", Source: "DOCKER_HOST", Remote: true}
	_, err := List(context.Background(), ep, testTimeout)
	if !errors.Is(err, ErrNoEngine) || !errors.Is(err, errSSHNotDialed) {
		t.Errorf("err = %v, want ErrNoEngine explaining ssh", err)
	}
}

func TestListEngineErrorIsNotNoEngine(t *testing.T) {
	f := newFakeEngine(t, nil, withStatus(http.StatusInternalServerError))
	_, err := List(context.Background(), localEndpoint(f), testTimeout)
	if err == nil || errors.Is(err, ErrNoEngine) {
		t.Errorf("err = %v, want an engine error that is not ErrNoEngine", err)
	}
}

func TestListCallerCancelIsNotNoEngine(t *testing.T) {
	f := newFakeEngine(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := List(ctx, localEndpoint(f), testTimeout)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrNoEngine) {
		t.Errorf("err = %v, want context.Canceled, not ErrNoEngine", err)
	}
}

func TestListFromResolvedContext(t *testing.T) {
	f := newFakeEngine(t, []container.Summary{{
		ID: "d1", Names: []string{"/shop-db-1"}, Labels: map[string]string{LabelProject: "shop", LabelService: "db", LabelNumber: "1"},
		Ports: []container.PortSummary{{IP: netip.MustParseAddr("::"), PrivatePort: 5432, PublicPort: 5432, Type: "tcp"}},
	}})
	cfg := t.TempDir()
	writeFile(t, filepath.Join(cfg, "config.json"), `{"auths":{},"currentContext":"desktop-linux"}`)
	writeContext(t, cfg, "desktop-linux", f.Host)

	ep, err := Resolve(Env{GOOS: "linux", Vars: map[string]string{"DOCKER_CONFIG": cfg}, Exists: noFiles})
	if err != nil {
		t.Fatal(err)
	}
	got, err := List(context.Background(), ep, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Project != "shop" || got[0].Service != "db" || got[0].Number != 1 {
		t.Errorf("List = %+v", got)
	}
}

func TestFakeEngineVersion(t *testing.T) {
	f := newFakeEngine(t, nil, withAPIVersion("1.45"))
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", strings.TrimPrefix(f.Host, "unix://"))
		},
	}}
	resp, err := c.Get("http://api.moby.localhost/v1.45/version")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Api-Version") != "1.45" {
		t.Errorf("GET /version: %s, Api-Version %q", resp.Status, resp.Header.Get("Api-Version"))
	}
}
