package engine

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// UserlandProxy says whether the dockerd with the given pid publishes
// ports through docker-proxy, its default. Without the proxy
// (--userland-proxy=false, or "userland-proxy": false in daemon.json)
// dockerd binds a port published on all addresses on 0.0.0.0 only, and
// no IPv6 host address at all (measured on dockerd 20.10 and moby v2 with
// IPv4 networks): a host socket on [::1]:P then does not stop it. known is
// false when the process or its configuration cannot be read, or the pid
// is not a dockerd.
func UserlandProxy(pid int, proc string) (on, known bool) {
	if pid <= 0 {
		return true, false
	}
	raw, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return true, false
	}
	args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	if len(args) == 0 || filepath.Base(args[0]) != "dockerd" {
		return true, false
	}
	config := "/etc/docker/daemon.json"
	for i := 1; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		switch name {
		case "--userland-proxy":
			if !hasValue {
				// a boolean flag: alone it means true; "false" may follow
				value = "true"
				if i+1 < len(args) && (args[i+1] == "false" || args[i+1] == "true") {
					value = args[i+1]
					i++
				}
			}
			b, err := strconv.ParseBool(value)
			return b || err != nil, true
		case "--config-file":
			if !hasValue && i+1 < len(args) {
				value = args[i+1]
				i++
			}
			config = value
		}
	}
	data, err := os.ReadFile(config)
	if err != nil {
		// no daemon.json is the default configuration
		return true, os.IsNotExist(err)
	}
	var settings struct {
		UserlandProxy *bool `json:"userland-proxy"`
	}
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&settings); err != nil {
		return true, false
	}
	if settings.UserlandProxy != nil {
		return *settings.UserlandProxy, true
	}
	return true, true
}
