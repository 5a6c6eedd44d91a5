package engine

import (
	"reflect"
	"testing"
)

func TestResolvePodman(t *testing.T) {
	rootless := "/run/user/1000/podman/podman.sock"
	rootful := "/run/podman/podman.sock"
	tests := []struct {
		name string
		env  Env
		want Endpoint
	}{
		{
			name: "CONTAINER_HOST when no Docker endpoint is configured",
			env:  Env{GOOS: "linux", Exists: only("/var/run/docker.sock"), Vars: map[string]string{"CONTAINER_HOST": "unix://" + rootless}},
			want: Endpoint{Host: "unix://" + rootless, Source: "CONTAINER_HOST"},
		},
		{
			name: "DOCKER_HOST wins over CONTAINER_HOST",
			env:  Env{GOOS: "linux", Exists: noFiles, Vars: map[string]string{"DOCKER_HOST": "unix:///var/run/docker.sock", "CONTAINER_HOST": "unix://" + rootless}},
			want: Endpoint{Host: "unix:///var/run/docker.sock", Source: "DOCKER_HOST"},
		},
		{
			name: "CONTAINER_HOST over ssh is remote (and not dialed)",
			env:  Env{GOOS: "linux", Exists: noFiles, Vars: map[string]string{"CONTAINER_HOST": "ssh://core@127.0.0.1:52341/run/user/501/podman/podman.sock"}},
			want: Endpoint{Host: "ssh://core@127.0.0.1:52341/run/user/501/podman/podman.sock", Source: "CONTAINER_HOST", Remote: true},
		},
		{
			name: "the Podman sockets that exist follow the Docker socket, rootless first",
			env:  Env{GOOS: "linux", Exists: only(rootless, rootful), Vars: map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}},
			want: Endpoint{Host: "unix:///var/run/docker.sock", Source: "default socket", Context: "default", Fallbacks: []Endpoint{
				{Host: "unix://" + rootless, Source: "rootless Podman socket"},
				{Host: "unix://" + rootful, Source: "rootful Podman socket"},
			}},
		},
		{
			name: "no Podman socket, no fallback",
			env:  Env{GOOS: "linux", Exists: only("/var/run/docker.sock"), Vars: map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"}},
			want: Endpoint{Host: "unix:///var/run/docker.sock", Source: "default socket", Context: "default"},
		},
		{
			name: "Podman sockets are a Linux thing",
			env:  Env{GOOS: "darwin", Exists: only(rootful), Vars: map[string]string{}},
			want: Endpoint{Host: "unix:///var/run/docker.sock", Source: "default socket", Context: "default"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Resolve:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
