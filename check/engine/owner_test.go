package engine

import (
	"net/netip"
	"strings"
	"testing"
)

func TestIsEngineProcess(t *testing.T) {
	yes := []string{
		"docker-proxy", "/usr/bin/docker-proxy", "dockerd", "rootlesskit", "slirp4netns",
		"pasta", "passt", "pasta.avx2", "conmon", "rootlessport", "containers-rootlessport",
		"com.docker.backend", `C:\Program Files\Docker\Docker\resources\com.docker.backend.exe`,
		"com.docker.vpnkit", "vpnkit", "wslrelay.exe", "WSLRelay.EXE", "gvproxy",
		"containers-root", // Linux comm of containers-rootlessport
		"com.docker.back", // Linux comm of com.docker.backend (Docker Desktop for Linux)
		"com.docke",       // lsof's 9-character COMMAND column on macOS
		"docker-pr", "rootlessk",
	}
	no := []string{
		"", "node", "docker", "docker-compose", "containerd", "container", "sshd", "nginx",
		"com.docker.cli", "dockerd-rootless.sh", "pas", "docker-prox", "java.exe",
	}
	for _, n := range yes {
		if !IsEngineProcess(n) {
			t.Errorf("IsEngineProcess(%q) = false, want true", n)
		}
	}
	for _, n := range no {
		if IsEngineProcess(n) {
			t.Errorf("IsEngineProcess(%q) = true, want false", n)
		}
	}
}

func TestParseDockerProxyArgs(t *testing.T) {
	v4 := netip.MustParseAddr
	tests := []struct {
		name string
		argv string
		want DockerProxy
		ok   bool
	}{
		{
			name: "v27: docker-proxy binds itself",
			argv: "/usr/bin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80",
			want: DockerProxy{Proto: "tcp", HostIP: v4("0.0.0.0"), HostPort: 8080, ContainerIP: v4("172.17.0.2"), ContainerPort: 80},
			ok:   true,
		},
		{
			name: "v27: the IPv6 twin of a default binding",
			argv: "/usr/bin/docker-proxy -proto tcp -host-ip :: -host-port 8080 -container-ip 172.17.0.2 -container-port 80",
			want: DockerProxy{Proto: "tcp", HostIP: v4("::"), HostPort: 8080, ContainerIP: v4("172.17.0.2"), ContainerPort: 80},
			ok:   true,
		},
		{
			name: "v28+: the daemon hands over the listening socket",
			argv: "/usr/bin/docker-proxy -proto udp -host-ip 127.0.0.1 -host-port 5353 -container-ip 172.18.0.4 -container-port 53 -use-listen-fd",
			want: DockerProxy{Proto: "udp", HostIP: v4("127.0.0.1"), HostPort: 5353, ContainerIP: v4("172.18.0.4"), ContainerPort: 53, UseListenFD: true},
			ok:   true,
		},
		{
			name: "v28+: IPv6 container address",
			argv: "/usr/libexec/docker/docker-proxy -proto tcp -host-ip ::1 -host-port 9000 -container-ip fd00:dead:beef::2 -container-port 9000 -use-listen-fd",
			want: DockerProxy{Proto: "tcp", HostIP: v4("::1"), HostPort: 9000, ContainerIP: v4("fd00:dead:beef::2"), ContainerPort: 9000, UseListenFD: true},
			ok:   true,
		},
		{
			name: "flag forms Go's flag package accepts, and its defaults",
			argv: "docker-proxy --host-port=3000 -container-ip=10.0.0.2 --container-port 3000",
			want: DockerProxy{Proto: "tcp", HostIP: v4("0.0.0.0"), HostPort: 3000, ContainerIP: v4("10.0.0.2"), ContainerPort: 3000},
			ok:   true,
		},
		{
			name: "arguments without the program name",
			argv: "-proto sctp -host-ip 0.0.0.0 -host-port 3868 -container-ip 172.17.0.3 -container-port 3868",
			want: DockerProxy{Proto: "sctp", HostIP: v4("0.0.0.0"), HostPort: 3868, ContainerIP: v4("172.17.0.3"), ContainerPort: 3868},
			ok:   true,
		},
		{
			name: "a flag from a later docker-proxy is skipped",
			argv: "/usr/bin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80 -use-listen-fd -future-flag -future-opt=x",
			want: DockerProxy{Proto: "tcp", HostIP: v4("0.0.0.0"), HostPort: 8080, ContainerIP: v4("172.17.0.2"), ContainerPort: 80, UseListenFD: true},
			ok:   true,
		},
		{name: "another program", argv: "/usr/bin/socat -proto tcp -host-port 8080"},
		{name: "no host port", argv: "/usr/bin/docker-proxy -proto tcp -host-ip 0.0.0.0 -container-ip 172.17.0.2 -container-port 80"},
		{name: "host port out of range", argv: "docker-proxy -host-port 70000 -container-ip 172.17.0.2 -container-port 80"},
		{name: "bad host IP", argv: "docker-proxy -host-ip localhost -host-port 80 -container-ip 172.17.0.2 -container-port 80"},
		{name: "flag without value", argv: "docker-proxy -host-port"},
		{name: "empty", argv: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseDockerProxyArgs(strings.Fields(tt.argv))
			if ok != tt.ok || got != tt.want {
				t.Errorf("ParseDockerProxyArgs(%q) = %+v, %v; want %+v, %v", tt.argv, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	ip := netip.MustParseAddr
	db := Container{Name: "shop-db-1", Ports: []Port{
		{HostIP: ip("0.0.0.0"), Published: 5432, Target: 5432, Protocol: "tcp"},
		{HostIP: ip("::"), Published: 5432, Target: 5432, Protocol: "tcp"},
	}}
	webLocal := Container{Name: "web-local", Ports: []Port{{HostIP: ip("127.0.0.1"), Published: 8080, Target: 80, Protocol: "tcp"}}}
	webAll := Container{Name: "web-all", Ports: []Port{{HostIP: ip("0.0.0.0"), Published: 8080, Target: 80, Protocol: "tcp"}}}
	dns := Container{Name: "dns", Ports: []Port{{Published: 1053, Target: 53, Protocol: "udp"}}} // no host IP
	v6 := Container{Name: "v6", Ports: []Port{{HostIP: ip("::1"), Published: 9000, Target: 9000, Protocol: "tcp"}}}
	all := []Container{db, webAll, webLocal, dns, v6}

	tests := []struct {
		name   string
		proto  string
		hostIP netip.Addr
		port   uint16
		want   string // container name, "" for no match
	}{
		{"IPv4 wildcard socket", "tcp", ip("0.0.0.0"), 5432, "shop-db-1"},
		{"IPv6 wildcard socket", "tcp6", ip("::"), 5432, "shop-db-1"},
		{"specific address under a wildcard binding", "tcp", ip("192.168.1.10"), 5432, "shop-db-1"},
		{"IPv4-mapped socket address", "tcp", ip("::ffff:127.0.0.1"), 8080, "web-local"},
		{"the most specific binding wins", "tcp", ip("127.0.0.1"), 8080, "web-local"},
		{"wildcard socket names the wildcard binding", "tcp", ip("0.0.0.0"), 8080, "web-all"},
		{"dual-stack socket of Docker Desktop", "tcp", ip("::"), 8080, "web-all"},
		{"unset container host IP matches", "udp", ip("10.1.2.3"), 1053, "dns"},
		{"unknown socket address matches any binding", "tcp", netip.Addr{}, 9000, "v6"},
		{"other protocol", "udp", ip("0.0.0.0"), 5432, ""},
		{"other port", "tcp", ip("0.0.0.0"), 5433, ""},
		{"specific binding, other address", "tcp", ip("::2"), 9000, ""},
		{"specific binding does not explain a wildcard socket", "tcp", ip("0.0.0.0"), 9000, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Match(all, tt.proto, tt.hostIP, tt.port)
			if ok != (tt.want != "") || got.Name != tt.want {
				t.Errorf("Match(%s %v:%d) = %q, %v; want %q", tt.proto, tt.hostIP, tt.port, got.Name, ok, tt.want)
			}
		})
	}
	if _, ok := Match(nil, "tcp", ip("0.0.0.0"), 80); ok {
		t.Error("Match on no containers matched")
	}
}
