package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// noFiles pretends that no socket exists on the machine.
func noFiles(string) bool { return false }

// only pretends that exactly these paths exist.
func only(paths ...string) func(string) bool {
	return func(p string) bool {
		for _, q := range paths {
			if p == q {
				return true
			}
		}
		return false
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeContext stores a context the way the docker CLI does: under the
// SHA-256 of its name, with the docker CLI's meta.json shape.
func writeContext(t *testing.T, configDir, name, host string) {
	t.Helper()
	digests := map[string]string{
		"desktop-linux": "fe9c6bd7a66301f49ca9b6a70b217107cd1284598bfc254700c989b916da791e",
		"remote-box":    "9d5bdcb5c3dbdf417dc8dfd5bbaf7c245585089ac59d6b82395b35e6579ac0b7",
	}
	digest, ok := digests[name]
	if !ok {
		t.Fatalf("no known digest for context %q", name)
	}
	meta, err := json.Marshal(map[string]any{
		"Name":     name,
		"Metadata": map[string]any{"Description": "test context"},
		"Endpoints": map[string]any{
			"docker": map[string]any{"Host": host, "SkipTLSVerify": false},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(configDir, "contexts", "meta", digest, "meta.json"), string(meta))
}

func TestResolve(t *testing.T) {
	cfg := t.TempDir()
	writeContext(t, cfg, "desktop-linux", "unix:///Users/alice/.docker/run/docker.sock")
	writeContext(t, cfg, "remote-box", "tcp://10.0.0.5:2376")
	remoteTLS := filepath.Join(cfg, "contexts", "tls", "9d5bdcb5c3dbdf417dc8dfd5bbaf7c245585089ac59d6b82395b35e6579ac0b7", "docker")
	for _, f := range []string{"ca.pem", "cert.pem", "key.pem"} {
		writeFile(t, filepath.Join(remoteTLS, f), "pem")
	}
	certs := t.TempDir()
	writeFile(t, filepath.Join(certs, "ca.pem"), "pem")

	withCurrent := t.TempDir()
	writeFile(t, filepath.Join(withCurrent, "config.json"), `{"auths":{},"currentContext":"desktop-linux"}`)
	writeContext(t, withCurrent, "desktop-linux", "unix:///Users/alice/.docker/run/docker.sock")
	currentDefault := t.TempDir()
	writeFile(t, filepath.Join(currentDefault, "config.json"), `{"currentContext":"default"}`)

	realExists := func(p string) bool { _, err := os.Stat(p); return err == nil }

	tests := []struct {
		name   string
		env    Env
		want   Endpoint
		errHas string
	}{
		{
			name: "DOCKER_HOST wins over DOCKER_CONTEXT and config",
			env: Env{GOOS: "linux", Exists: noFiles, Vars: map[string]string{
				"DOCKER_HOST": "unix:///run/user/1000/docker.sock", "DOCKER_CONTEXT": "remote-box", "DOCKER_CONFIG": withCurrent,
			}},
			want: Endpoint{Host: "unix:///run/user/1000/docker.sock", Source: "DOCKER_HOST"},
		},
		{
			name: "DOCKER_HOST tcp is remote",
			env:  Env{GOOS: "linux", Exists: noFiles, Vars: map[string]string{"DOCKER_HOST": "tcp://192.168.1.20:2375"}},
			want: Endpoint{Host: "tcp://192.168.1.20:2375", Source: "DOCKER_HOST", Remote: true},
		},
		{
			name: "DOCKER_HOST tcp on localhost is still remote (may be a tunnel)",
			env:  Env{GOOS: "windows", Exists: noFiles, Vars: map[string]string{"DOCKER_HOST": "tcp://localhost:2375"}},
			want: Endpoint{Host: "tcp://localhost:2375", Source: "DOCKER_HOST", Remote: true},
		},
		{
			name: "DOCKER_HOST ssh is remote",
			env:  Env{GOOS: "darwin", Exists: noFiles, Vars: map[string]string{"DOCKER_HOST": "ssh://alice@build-box"}},
			want: Endpoint{Host: "ssh://alice@build-box", Source: "DOCKER_HOST", Remote: true},
		},
		{
			name: "DOCKER_HOST npipe is local",
			env:  Env{GOOS: "windows", Exists: noFiles, Vars: map[string]string{"DOCKER_HOST": "npipe:////./pipe/dockerDesktopLinuxEngine"}},
			want: Endpoint{Host: "npipe:////./pipe/dockerDesktopLinuxEngine", Source: "DOCKER_HOST"},
		},
		{
			name: "DOCKER_TLS_VERIFY takes the files of DOCKER_CERT_PATH that exist",
			env: Env{GOOS: "linux", Exists: realExists, Vars: map[string]string{
				"DOCKER_HOST": "tcp://10.0.0.9:2376", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": certs, "DOCKER_API_VERSION": "1.44",
			}},
			want: Endpoint{Host: "tcp://10.0.0.9:2376", Source: "DOCKER_HOST", Remote: true,
				TLS: &TLS{CAFile: filepath.Join(certs, "ca.pem")}, APIVersion: "1.44"},
		},
		{
			name: "DOCKER_CERT_PATH alone does not turn TLS on, as for the CLI",
			env: Env{GOOS: "linux", Exists: realExists, Vars: map[string]string{
				"DOCKER_HOST": "tcp://10.0.0.9:2375", "DOCKER_CERT_PATH": certs,
			}},
			want: Endpoint{Host: "tcp://10.0.0.9:2375", Source: "DOCKER_HOST", Remote: true},
		},
		{
			name: "DOCKER_CONTEXT overrides currentContext",
			env:  Env{GOOS: "linux", Exists: realExists, Vars: map[string]string{"DOCKER_CONTEXT": "remote-box", "DOCKER_CONFIG": cfg}},
			want: Endpoint{Host: "tcp://10.0.0.5:2376", Context: "remote-box", Source: `context "remote-box"`, Remote: true,
				TLS: &TLS{CAFile: filepath.Join(remoteTLS, "ca.pem"), CertFile: filepath.Join(remoteTLS, "cert.pem"), KeyFile: filepath.Join(remoteTLS, "key.pem")}},
		},
		{
			name: "currentContext in config.json",
			env:  Env{GOOS: "darwin", Exists: noFiles, Vars: map[string]string{"DOCKER_CONFIG": withCurrent}},
			want: Endpoint{Host: "unix:///Users/alice/.docker/run/docker.sock", Context: "desktop-linux", Source: `context "desktop-linux"`},
		},
		{
			name: "config in ~/.docker without DOCKER_CONFIG",
			env:  Env{GOOS: "darwin", Exists: noFiles, HomeDir: homeWith(t, `{"currentContext":"desktop-linux"}`)},
			want: Endpoint{Host: "unix:///Users/alice/.docker/run/docker.sock", Context: "desktop-linux", Source: `context "desktop-linux"`},
		},
		{
			name: "currentContext default is the default socket",
			env:  Env{GOOS: "linux", Exists: only("/var/run/docker.sock"), Vars: map[string]string{"DOCKER_CONFIG": currentDefault}},
			want: Endpoint{Host: "unix:///var/run/docker.sock", Context: "default", Source: "default socket"},
		},
		{
			name: "no config: default socket",
			env:  Env{GOOS: "linux", Exists: only("/var/run/docker.sock"), HomeDir: t.TempDir()},
			want: Endpoint{Host: "unix:///var/run/docker.sock", Context: "default", Source: "default socket"},
		},
		{
			name: "macOS without /var/run/docker.sock: Docker Desktop socket",
			env:  Env{GOOS: "darwin", Exists: only("/Users/bob/.docker/run/docker.sock"), HomeDir: "/Users/bob"},
			want: Endpoint{Host: "unix:///Users/bob/.docker/run/docker.sock", Context: "default", Source: "Docker Desktop socket"},
		},
		{
			name: "macOS with /var/run/docker.sock: the standard socket",
			env:  Env{GOOS: "darwin", Exists: only("/var/run/docker.sock", "/Users/bob/.docker/run/docker.sock"), HomeDir: "/Users/bob"},
			want: Endpoint{Host: "unix:///var/run/docker.sock", Context: "default", Source: "default socket"},
		},
		{
			name: "rootless: XDG_RUNTIME_DIR socket when the standard one is absent",
			env: Env{GOOS: "linux", Exists: only("/run/user/1000/docker.sock"), HomeDir: "/home/alice",
				Vars: map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}},
			want: Endpoint{Host: "unix:///run/user/1000/docker.sock", Context: "default", Source: "rootless socket"},
		},
		{
			name: "nothing exists: the standard socket, so the warning names it",
			env:  Env{GOOS: "linux", Exists: noFiles, HomeDir: "/home/alice", Vars: map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}},
			want: Endpoint{Host: "unix:///var/run/docker.sock", Context: "default", Source: "default socket"},
		},
		{
			name: "windows: named pipe",
			env:  Env{GOOS: "windows", Exists: noFiles, HomeDir: `C:\Users\alice`},
			want: Endpoint{Host: "npipe:////./pipe/docker_engine", Context: "default", Source: "default named pipe"},
		},
		{
			name:   "a named context that does not exist is an error",
			env:    Env{GOOS: "linux", Exists: noFiles, Vars: map[string]string{"DOCKER_CONTEXT": "gone", "DOCKER_CONFIG": cfg}},
			errHas: `docker context "gone" (from DOCKER_CONTEXT) does not exist`,
		},
		{
			name:   "a broken config.json is an error",
			env:    Env{GOOS: "linux", Exists: noFiles, Vars: map[string]string{"DOCKER_CONFIG": dirWith(t, "config.json", "{not json")}},
			errHas: "parse docker CLI config",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.env)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Resolve:\n got %+v (TLS %+v)\nwant %+v (TLS %+v)", got, got.TLS, tt.want, tt.want.TLS)
			}
		})
	}
}

func TestResolveContextWithoutDockerEndpoint(t *testing.T) {
	cfg := t.TempDir()
	writeFile(t, filepath.Join(cfg, "contexts", "meta", "fe9c6bd7a66301f49ca9b6a70b217107cd1284598bfc254700c989b916da791e", "meta.json"),
		`{"Name":"desktop-linux","Metadata":{},"Endpoints":{"kubernetes":{"Host":"https://k8s:6443"}}}`)
	_, err := Resolve(Env{GOOS: "linux", Exists: noFiles, Vars: map[string]string{"DOCKER_CONTEXT": "desktop-linux", "DOCKER_CONFIG": cfg}})
	if err == nil || !strings.Contains(err.Error(), "no docker endpoint") {
		t.Errorf("err = %v, want no docker endpoint", err)
	}
}

// homeWith makes a home folder whose ~/.docker/config.json holds config.
func homeWith(t *testing.T, config string) string {
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".docker", "config.json"), config)
	writeContext(t, filepath.Join(home, ".docker"), "desktop-linux", "unix:///Users/alice/.docker/run/docker.sock")
	return home
}

func dirWith(t *testing.T, name, content string) string {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, name), content)
	return dir
}
