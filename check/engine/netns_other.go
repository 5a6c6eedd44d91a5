//go:build !linux

package engine

func peerNamespace(path, _ string) Namespace {
	return Namespace{Why: "only Linux tells which network namespace serves " + path}
}
