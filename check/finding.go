package check

import (
	"github.com/compose-preflight/compose-preflight/check/engine"
	"github.com/compose-preflight/compose-preflight/check/sockets"
)

// Kind names a finding; it is printed in brackets after each message and
// is stable for scripts.
type Kind string

const (
	// KindInUse: the engine's bind will fail ("address already in use").
	KindInUse Kind = "in-use"
	// KindShadowed: both will start, but one program silently receives
	// the other's traffic.
	KindShadowed Kind = "shadowed"
	// KindDuplicate: two bindings of this project overlap each other.
	KindDuplicate Kind = "duplicate"
	// KindReplicas: a service runs more containers than it has host ports.
	KindReplicas Kind = "replicas"
	// KindOwn: the port is held by this project's own running container:
	// not a conflict, `up` will recreate it.
	KindOwn Kind = "own"
	// KindHostNetwork: a service on the host network binds its ports on
	// the host directly; its ports: entries are ignored by the engine.
	KindHostNetwork Kind = "host-network"
	// KindNetworkMode: a service shares another container's network
	// (network_mode service: or container:) and publishes ports, which the
	// engine refuses.
	KindNetworkMode Kind = "network-mode"
	// KindHostIP: a binding's host IP is not an address of this machine;
	// the engine's bind fails ("cannot assign requested address").
	KindHostIP Kind = "host-ip"
	// KindEphemeral: a fixed port inside the kernel's ephemeral range can
	// be taken at any moment by an outgoing connection.
	KindEphemeral Kind = "ephemeral-range"
	// KindPrivileged: a port below the unprivileged start needs a rootful
	// engine.
	KindPrivileged Kind = "privileged"
	// KindEngineUnreachable: the Docker engine did not answer, so
	// container-held ports were not checked.
	KindEngineUnreachable Kind = "engine-unreachable"
	// KindRangeOrder: a host range whose first port is held by a host
	// socket; engines before Docker 27 try that port only and fail, later
	// ones try the next. Reported when the engine's version is unknown.
	KindRangeOrder Kind = "range-order"
	// KindInContainer: the check runs inside a container, whose socket
	// table is not the host's; only the engine can say what the host holds.
	KindInContainer Kind = "in-container"
)

// descriptions are the kinds' one-line descriptions (Kind.Description).
var descriptions = map[Kind]string{
	KindInUse:             "A published port is already held on the host: the engine's bind will fail.",
	KindShadowed:          "A published port overlaps a host socket on another address: both start, and one gets the other's traffic.",
	KindDuplicate:         "Two bindings of the project overlap: the engine refuses the second.",
	KindReplicas:          "A service has more replicas than host ports.",
	KindOwn:               "The port is held by this project's own running container.",
	KindHostNetwork:       "A service on the host network binds its ports on the host directly.",
	KindNetworkMode:       "A service sharing another container's network publishes ports, which the engine refuses.",
	KindHostIP:            "A published port's host IP is not an address of this host: the engine's bind will fail.",
	KindEphemeral:         "A fixed port inside the ephemeral range can be taken by an outgoing connection.",
	KindPrivileged:        "A port below the unprivileged start needs a rootful engine.",
	KindEngineUnreachable: "The Docker engine did not answer: container-held ports were not checked.",
	KindInContainer:       "The check runs inside a container, whose sockets are not the host's.",
	KindRangeOrder:        "A host range's first port is held: engines before Docker 27 fail there, later ones try the next.",
}

// Description says in one sentence what a finding of kind k means, for
// the rules of reports that describe each kind once (SARIF); "" for a
// kind this package does not report.
func (k Kind) Description() string { return descriptions[k] }

// Severity orders findings; only errors fail a run (warnings too with
// --strict).
type Severity uint8

const (
	Info Severity = iota
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "info"
}

// Holder is a socket or a container in the way of a binding.
type Holder struct {
	// Socket is the host socket in the way; its zero value (Port 0) when
	// the holder is known only from the engine (a port published without
	// a host socket: no userland proxy, routed mode, a remote engine).
	Socket sockets.Socket
	// Verdict is what the socket does to the binding's bind.
	Verdict Verdict
	// Owner is the process holding the socket, when it could be seen;
	// filled by the caller after Find (owners are costly, so they are
	// looked up only for the sockets in findings).
	Owner *sockets.Owner
	// Container is the container that publishes the port, when the engine
	// named it (directly, or behind an engine process holding the socket).
	Container *engine.Container
	// ContainerPort is the container's binding that overlaps.
	ContainerPort engine.Port
	// Own says the container is this project's container of the same
	// service: `up` keeps it or recreates it, so it is not a conflict.
	// With --stack, a service of the stack being deployed is its own.
	Own bool
	// SwarmService is the swarm service that publishes the port, and
	// ServicePort its port: an ingress port has no socket on any node.
	SwarmService *engine.Service
	ServicePort  engine.ServicePort
}

// HasSocket reports whether the holder is a host socket (as opposed to a
// port known only from the engine).
func (h Holder) HasSocket() bool { return h.Socket.Port != 0 }

// Finding is one problem (or fact) about the project's bindings.
type Finding struct {
	Kind     Kind
	Severity Severity
	// Binding indexes the Input.Bindings the finding is about, or is -1
	// for a finding about a whole service or the run.
	Binding int
	// Other is the other binding of a duplicate, else -1.
	Other int
	// Service names the service for service-level findings.
	Service string
	// Port is the port in the way (for a range, the first held one).
	Port uint16
	// Holders are the sockets in the way (in-use, shadowed).
	Holders []Holder
	// Detail adds what the kind alone does not say.
	Detail string
	// Range is the whole expanded range a merged finding speaks for (the
	// 49152-65535 of "49152-65535:49152-65535/udp"), and Ports the ports of
	// it concerned: those held, published twice, in the ephemeral range or
	// below the unprivileged start. Both are zero for a binding on its own.
	Range PortRange
	Ports []PortRange
}

// AboutRun reports whether f is about the run rather than the project:
// it names no binding and no service (no engine answered, running inside
// a container). Every project of a run reports such a finding alike, so
// a report of several projects says it once.
func (f Finding) AboutRun() bool { return f.Binding < 0 && f.Service == "" }
