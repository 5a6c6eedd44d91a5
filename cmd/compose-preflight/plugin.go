package main

import (
	"encoding/json"
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// pluginName is the docker CLI plugin name: the binary installed as
// ~/.docker/cli-plugins/docker-preflight runs as `docker preflight`.
const pluginName = "preflight"

// pluginMetadataCommand is the subcommand the docker CLI calls on every
// plugin to learn what it is (docker/cli cli-plugins/metadata).
const pluginMetadataCommand = "docker-cli-plugin-metadata"

// version is the module version the binary was built from ("(devel)" for
// a local build), as `go install ...@vX` records it.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// asDockerPlugin reports whether the binary runs as a docker CLI plugin,
// judged by its name as the docker CLI executes it.
func asDockerPlugin(argv0 string) bool {
	name := strings.TrimSuffix(filepath.Base(argv0), ".exe")
	return name == "docker-"+pluginName
}

// writePluginMetadata answers the docker CLI's metadata call.
func writePluginMetadata(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "     ")
	return enc.Encode(struct {
		SchemaVersion    string
		Vendor           string
		Version          string
		ShortDescription string
		URL              string
	}{
		SchemaVersion:    "0.1.0",
		Vendor:           "compose-preflight",
		Version:          version(),
		ShortDescription: "Check a compose project's published ports before it starts",
		URL:              "https://github.com/compose-preflight/compose-preflight",
	})
}

// pluginArgs turns the docker CLI's plugin argv
// ([docker-preflight preflight FLAGS...]) into our own
// ([docker-preflight FLAGS...]).
func pluginArgs(args []string) []string {
	if len(args) > 1 && args[1] == pluginName {
		return append([]string{args[0]}, args[2:]...)
	}
	return args
}
