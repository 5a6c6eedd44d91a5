package main

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// serveEngine runs a fake Docker engine: it answers the version
// negotiation (/_ping, /version) and GET /v*/containers/json with the JSON
// in file, which is shaped as the Engine API's ContainerSummary list.
// network "tcp" serves on 127.0.0.1:2375 (a remote engine, to the
// checker), else on a unix socket. It returns the DOCKER_HOST to reach it.
func serveEngine(t *testing.T, network, file string) string {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	host, l := "tcp://127.0.0.1:2375", net.Listener(nil)
	if network == "tcp" {
		l, err = net.Listen("tcp", "127.0.0.1:2375")
	} else {
		dir, derr := os.MkdirTemp("", "engine") // unix socket paths must stay short
		if derr != nil {
			t.Fatal(derr)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		sock := filepath.Join(dir, "docker.sock")
		host = "unix://" + sock
		l, err = net.Listen("unix", sock)
	}
	if err != nil {
		t.Fatal(err)
	}
	list := regexp.MustCompile(`^/v1\.[0-9]+/containers/json$`)
	info := regexp.MustCompile(`^/v1\.[0-9]+/info$`)
	// /info as a rootful engine answers it, unless the case gives its own
	// (info.json beside the containers file).
	infoBody := []byte(`{"ID":"fake","Containers":1,"ServerVersion":"27.5.1","SecurityOptions":["name=apparmor","name=seccomp,profile=builtin","name=cgroupns"]}`)
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "info.json")); err == nil {
		infoBody = b
	}
	version := regexp.MustCompile(`^/v1\.[0-9]+/version$`)
	// A swarm manager, when the case gives its services (services.json
	// beside the containers file): one node, no tasks.
	swarmPaths := map[string][]byte{}
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "services.json")); err == nil {
		swarmPaths["/services"] = b
		swarmPaths["/nodes"] = []byte(`[{"ID":"node1","Description":{"Hostname":"node-1"}}]`)
		swarmPaths["/tasks"] = []byte(`[]`)
		infoBody = []byte(`{"ID":"fake","ServerVersion":"27.5.1","SecurityOptions":["name=seccomp,profile=builtin"],"Swarm":{"NodeID":"node1","LocalNodeState":"active","ControlAvailable":true}}`)
	}
	swarmPath := regexp.MustCompile(`^/v1\.[0-9]+(/services|/nodes|/tasks)$`)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.47")
		w.Header().Set("Docker-Experimental", "false")
		w.Header().Set("Ostype", "linux")
		switch {
		case r.URL.Path == "/_ping":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte("OK"))
		case r.URL.Path == "/version" || version.MatchString(r.URL.Path):
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"Version":"27.5.1","ApiVersion":"1.47","MinAPIVersion":"1.24","Os":"linux","Arch":"amd64"}`))
		case info.MatchString(r.URL.Path):
			w.Header().Set("Content-Type", "application/json")
			w.Write(infoBody)
		case swarmPath.MatchString(r.URL.Path) && swarmPaths[swarmPath.FindStringSubmatch(r.URL.Path)[1]] != nil:
			w.Header().Set("Content-Type", "application/json")
			w.Write(swarmPaths[swarmPath.FindStringSubmatch(r.URL.Path)[1]])
		case list.MatchString(r.URL.Path):
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"page not found"}`))
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return host
}
