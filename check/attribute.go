package check

import (
	"github.com/compose-preflight/compose-preflight/check/engine"
)

// Attribute names the container behind each socket held for the engine,
// and settles which findings are really conflicts. Call it after the
// holders' owners are known.
//
// A socket belongs to a container when its owner is an engine process
// (docker-proxy, dockerd, rootlesskit, com.docker.backend, ...) or cannot
// be seen (not root: docker-proxy runs as root), and the engine reports a
// container publishing that port. A finding whose holders are all this
// project's own containers becomes KindOwn (info): `up` recreates them.
// Engine-reported holders already explained by a socket are dropped, so
// one container is named once.
func Attribute(fs []Finding, in *Input) []Finding {
	for i := range fs {
		f := &fs[i]
		if len(f.Holders) == 0 || f.Binding < 0 {
			continue
		}
		b := in.Bindings[f.Binding]
		for j := range f.Holders {
			h := &f.Holders[j]
			if !h.HasSocket() || h.Container != nil || (h.Owner != nil && !engine.IsEngineProcess(h.Owner.Name)) {
				continue
			}
			c, ok := engine.Match(in.Containers, h.Socket.Protocol, h.Socket.Addr, h.Socket.Port)
			if !ok {
				continue
			}
			for ci := range in.Containers {
				if in.Containers[ci].ID == c.ID {
					h.Container = &in.Containers[ci]
				}
			}
			for _, cp := range c.Ports {
				if cp.Protocol == h.Socket.Protocol && cp.Published == h.Socket.Port {
					h.ContainerPort = cp
					if in.own(h.Container, b) {
						h.Own = true
					}
				}
			}
		}
		f.Holders = dedupeContainers(f.Holders)
		own := 0
		for _, h := range f.Holders {
			if h.Own {
				own++
			}
		}
		switch {
		case own == len(f.Holders):
			f.Kind, f.Severity = KindOwn, Info
		case own > 0:
			kept := f.Holders[:0]
			for _, h := range f.Holders {
				if !h.Own {
					kept = append(kept, h)
				}
			}
			f.Holders = kept
		}
	}
	return fs
}

// dedupeContainers drops engine-only holders whose container is already
// named through a socket holder, and repeated engine-only holders of one
// container (its 0.0.0.0 and :: bindings).
func dedupeContainers(hs []Holder) []Holder {
	seen := map[string]bool{}
	for _, h := range hs {
		if h.HasSocket() && h.Container != nil {
			seen[h.Container.ID] = true
		}
	}
	out := hs[:0]
	for _, h := range hs {
		if !h.HasSocket() && h.Container != nil {
			if seen[h.Container.ID] {
				continue
			}
			seen[h.Container.ID] = true
		}
		out = append(out, h)
	}
	return out
}
