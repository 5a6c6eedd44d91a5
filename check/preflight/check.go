package preflight

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/compose-preflight/compose-preflight/check"
	"github.com/compose-preflight/compose-preflight/check/engine"
	"github.com/compose-preflight/compose-preflight/check/sockets"
	"github.com/compose-preflight/compose-preflight/compose"
	"github.com/compose-preflight/compose-preflight/compose/rewrite"
)

// Options are what one check is asked to do. The zero value (apart from
// Load) checks the project against this host and, when one answers, its
// Docker engine.
type Options struct {
	// Load says which project to check, as docker compose's own flags and
	// environment would (-f, -p, --project-directory, --env-file,
	// --profile, COMPOSE_*). Load.Environ is also where the engine is
	// looked for (DOCKER_HOST, DOCKER_CONTEXT, HOME).
	Load compose.Options
	// Static checks only what the files say: no host sockets and no
	// engine, for CI, where the host is not the one the project runs on.
	Static bool
	// Engine is "auto" (ask the Docker engine, warn when none answers),
	// "off", or "required" (an engine that does not answer is an error).
	// "" means auto.
	Engine string
	// EngineTimeout bounds the engine call; 0 means engine.DefaultTimeout.
	EngineTimeout time.Duration
	// Root is the file system root where the markers of a container are
	// looked for; "" means "/". Tests that run in their own network
	// namespace point it elsewhere, as that namespace would look like a
	// container.
	Root string
	// ForFix says the result is to be fixed (Result.Fix, written or dry
	// run): a compose file read from standard input is refused, since a
	// fix reloads the project, and the next steps do not repeat what a
	// fix says itself.
	ForFix bool
	// Stack checks the project as `docker stack deploy -c FILE Stack`
	// would deploy it on the engine's swarm ("": as docker compose up).
	Stack string
	// Lock holds the project's fix lock (rewrite.Lock) until
	// Result.Close, and loads the project again once it is held: what a
	// written fix edits must be read under the lock, which is keyed by the
	// project directory known only once the project is loaded.
	Lock bool
}

func (o Options) root() string {
	if o.Root == "" {
		return "/"
	}
	return o.Root
}

// Result is one check of a project: what it publishes, what holds those
// ports, the findings, and the moves a fix would make. It is not safe for
// concurrent use (it caches the files it quotes, and Fix edits its plan).
type Result struct {
	// Project is the loaded project, with every binding's sources.
	Project *compose.Project
	// Input is what the findings were computed from: the bindings as
	// plain check values (Input.Bindings[i] is Project.Bindings[i]), the
	// host's sockets (nil when this host was not checked), the engine's
	// containers.
	Input *check.Input
	// Findings are the conflicts and warnings, errors first within each
	// binding; run-level notes (no engine, inside a container) last.
	Findings []check.Finding
	// Checked says what the bindings were checked against, such as
	// "this host and its Docker engine" or "the files only".
	Checked string

	opts  Options
	fix   FixOptions      // of the fix under way
	moves []*Move         // what a fix would do, planned once
	next  map[int]*Move   // binding index -> the move that shifts it
	probe check.ProbeFunc // confirms picks; nil when this host is not checked
	lines map[string][]string
	// unlock releases the fix lock (Options.Lock).
	unlock func()
}

// FixError is an error of a fix (or of taking its lock): the project
// loaded and was checked, but the moves could not be written, and no
// file is left changed (unless the error says that putting the files
// back failed too). Any other error of Check or Fix is about the
// input: the project does not load, or a file given is not valid.
type FixError struct{ Err error }

func (e *FixError) Error() string { return e.Err.Error() }
func (e *FixError) Unwrap() error { return e.Err }

// Close releases the fix lock held since Check (Options.Lock).
func (r *Result) Close() {
	if r.unlock != nil {
		r.unlock()
		r.unlock = nil
	}
}

// Options are the options r was checked with, defaults filled in: what
// a report of r says it was asked (Static) and where its paths are
// relative to (Load.WorkingDir).
func (r *Result) Options() Options { return r.opts }

// Moves are the moves a fix makes, in the order of their findings: the
// same plan that each finding's next step names and that Fix writes.
func (r *Result) Moves() []*Move { return r.moves }

// Next is the move that shifts binding i, when a fix would move it.
func (r *Result) Next(i int) (*Move, bool) {
	m, ok := r.next[i]
	return m, ok
}

// Check loads the project and checks every port it publishes against
// this host's sockets and its engine's containers (neither with
// Options.Static), and plans the moves a fix would make. A load error is
// returned as it is: one line naming the file and line.
func Check(ctx context.Context, o Options) (*Result, error) {
	if o.Engine == "" {
		o.Engine = "auto"
	}
	if !slices.Contains([]string{"auto", "off", "required"}, o.Engine) {
		return nil, fmt.Errorf("engine mode %q: want auto, off or required", o.Engine)
	}
	if o.EngineTimeout <= 0 {
		o.EngineTimeout = engine.DefaultTimeout
	}
	gathered := make(chan hostView, 1) // buffered: a failed load leaves it unread
	go func() { gathered <- gatherHost(ctx, o) }()
	proj, err := compose.Load(ctx, o.Load)
	if err != nil {
		return nil, err
	}
	if o.ForFix && slices.Contains(proj.ComposeFiles, "-") {
		// -f - or a - in COMPOSE_FILE (shell or .env); and --fix loads
		// twice (again under its lock): standard input is gone by then
		return nil, errors.New("--fix edits the files that define each port, and a compose file read from standard input (-f -) is none: save it to a file first")
	}
	r := &Result{opts: o}
	if o.Lock {
		// The lock is keyed by the project directory, known only once the
		// project is loaded; what --fix edits must be read under the lock,
		// so the project is loaded again once it is held.
		unlock, err := rewrite.Lock(proj.WorkingDir)
		if err != nil {
			return nil, &FixError{Err: err}
		}
		r.unlock = unlock
		if proj, err = compose.Load(ctx, o.Load); err != nil {
			r.Close()
			return nil, err
		}
	}
	if err := r.check(ctx, proj, gathered); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// check finds the conflicts of the loaded project and plans their moves.
func (r *Result) check(ctx context.Context, proj *compose.Project, gathered chan hostView) error {
	bindings, err := checkBindings(proj)
	if err != nil {
		return err
	}
	host, err := check.ReadHost("/proc")
	if err != nil {
		return fmt.Errorf("reading the host's port ranges: %w", err)
	}
	view := <-gathered
	if view.err != nil {
		return view.err
	}
	if view.listSockets {
		if view.sockets, err = listSockets(ctx, bindings); err != nil {
			return err
		}
	}
	in := check.Input{Bindings: bindings, Host: host, Project: proj.Name, Sockets: view.sockets, Containers: view.containers, Rootless: view.rootless, EngineAPI: view.engineAPI, IPv4Only: view.ipv4Only}
	podmanBindings(in.Bindings, view.engineName, view.rootless)
	if r.opts.Stack != "" {
		// a stack's tasks carry no compose project: no container is this
		// project's own, only the stack's services and tasks are
		in.Project = ""
	}
	r.Project, r.Input, r.Checked = proj, &in, view.checked
	notes := view.notes
	r.Findings = check.Find(in)
	if in.Sockets != nil {
		if r.Findings, err = probeUnexplained(ctx, &in, r.Findings); err != nil {
			return err
		}
		if view.local {
			r.Findings = append(r.Findings, hostIPFindings(&in)...)
		}
		// Picks are confirmed by a bind probe only when this host is the
		// one checked (not --static, a remote engine, or in a container).
		r.probe = func(proto string, addr netip.Addr, port uint16) bool {
			return sockets.Probe(proto, addr, port).Status == sockets.Free
		}
	}
	if err := attachOwners(ctx, r.Findings); err != nil {
		return err
	}
	if in.Sockets != nil {
		if r.Findings, err = settleHolders(ctx, r.Findings); err != nil {
			return err
		}
	}
	r.Findings = check.Attribute(r.Findings, &in)
	r.Findings = check.Merge(r.Findings, &in)
	if r.Findings, err = swarmFindings(r.opts, proj, &in, view.swarm, r.Findings); err != nil {
		return err
	}
	r.Findings = append(r.Findings, networkModeFindings(proj)...)
	r.Findings = append(r.Findings, check.EngineChosenFindings(engineChosenBindings(proj), in.EngineAPI)...)
	r.Findings = append(r.Findings, notes...)
	in.Containers = append(in.Containers, swarmPorts(view.swarm)...)
	// One plan, made by the code --fix runs: the report's next step is
	// the move --fix would write.
	r.moves = r.planMoves(check.NewPicker(&in, r.probe))
	r.next = nextMoves(r.moves)
	return nil
}

// hostView is what the host and its engine hold, and what was checked.
type hostView struct {
	checked string
	notes   []check.Finding // run-level warnings: no engine, in a container
	// listSockets says that this host's sockets are to be checked; they
	// are listed once the project's ports are known (listSockets).
	listSockets bool
	// local says that this machine's addresses are the engine's: the
	// sockets are listed, and not from inside a container.
	local      bool
	sockets    []sockets.Socket
	containers []engine.Container
	rootless   *bool // the engine's mode, when it said
	engineAPI  string
	engineName string        // "Docker" or "Podman", when one answered
	swarm      *engine.Swarm // the engine's swarm, nil outside one
	// ipv4Only: the engine runs without its userland proxy and binds no
	// IPv6 host address.
	ipv4Only bool
	err      error
}

// gatherHost asks the engine and decides whether this host's sockets are
// checked. It needs no project, so it runs while the project loads (most
// of a run). The sockets wait for the project: asked for its ports only,
// the kernel answers with a few sockets instead of every one on the host.
func gatherHost(ctx context.Context, o Options) hostView {
	v := hostView{checked: "this host"}
	if o.Static {
		v.checked = "the files only"
		return v
	}
	inContainer := func(detail string) {
		v.notes = append(v.notes, check.Finding{Kind: check.KindInContainer, Severity: check.Warning, Binding: -1, Other: -1, Detail: detail})
	}
	ep, ev, remote, unreachable, err := askEngine(ctx, o)
	if err != nil {
		v.err = err
		return v
	}
	if ev != nil {
		v.containers, v.rootless, v.engineAPI = append([]engine.Container{}, ev.Containers...), ev.Rootless, ev.APIVersion
		v.engineName, v.swarm = ev.Engine, ev.Swarm
	}
	if unreachable != nil {
		v.notes = append(v.notes, *unreachable)
	}
	inside, why := engine.InContainer(o.root())
	var ns engine.Namespace
	if v.containers != nil && !remote {
		// The engine's process, when this host can see it: whether it
		// binds in this network namespace, and how it publishes.
		ns = engine.PIDNamespace(ev.PID, "/proc")
		if on, known := engine.UserlandProxy(ev.PID, "/proc"); known && !on {
			v.ipv4Only = true
		}
	}
	switch {
	case remote && v.containers == nil:
		v.checked = "the files only (the remote engine did not answer)"
		return v
	case remote:
		v.checked = fmt.Sprintf("the engine at %s (%s)", ep.Host, ep.Source)
		return v
	case inside && v.containers != nil && ns.Same:
		// Docker-in-Docker, a devcontainer, a CI job's own dockerd: the
		// engine binds in this very namespace, so this table is its host's.
		v.checked = "this host and its " + v.engineName + " engine"
		v.listSockets, v.local = true, true
		return v
	case inside && v.containers != nil:
		v.checked = "the engine only"
		inContainer(fmt.Sprintf("running inside a container (%s): its sockets are not the host's, so only the engine's published ports were checked", why))
		return v
	}
	v.listSockets = true
	switch {
	case inside:
		// No engine to rely on: this container's own sockets are the best
		// there is (the host's, with --network host).
		v.checked = "this container's sockets"
		inContainer(fmt.Sprintf("running inside a container (%s) with no engine to ask: only this container's own sockets were checked, which are the host's only with --network host", why))
	case v.containers != nil:
		v.checked = "this host and its " + v.engineName + " engine"
	}
	v.local = !inside
	return v
}

// hostIPFindings reports the bindings whose host IP is not an address of
// this machine: the engine's bind fails with "cannot assign requested
// address" (a compose file written on another machine, a VPN or a
// Wi-Fi address that is gone). A bind probe asks the kernel, which also
// honours net.ipv4.ip_nonlocal_bind as the engine's bind would.
func hostIPFindings(in *check.Input) []check.Finding {
	var out []check.Finding
	absent := map[netip.Addr]bool{}
	for i, b := range in.Bindings {
		a := b.HostIP
		if !a.IsValid() || a.Unmap().IsUnspecified() || (b.Protocol != "tcp" && b.Protocol != "udp") {
			continue
		}
		gone, asked := absent[a]
		if !asked {
			gone = sockets.Probe(b.Protocol, a, b.Published).Status == sockets.NotHere
			absent[a] = gone
		}
		if gone {
			out = append(out, check.Finding{Kind: check.KindHostIP, Severity: check.Error, Binding: i, Other: -1, Service: b.Service, Port: b.Published,
				Detail: fmt.Sprintf("%s is not an address of this host, so the engine cannot bind it (cannot assign requested address)", a)})
		}
	}
	return out
}

// listSockets lists this host's listeners and UDP sockets on the ports
// the bindings publish. The list is never nil: nil means "this host is
// not checked".
func listSockets(ctx context.Context, bindings []check.Binding) ([]sockets.Socket, error) {
	if len(bindings) == 0 {
		return []sockets.Socket{}, nil
	}
	socks, err := sockets.ListListening(ctx, portRanges(bindings)...)
	if err != nil {
		return nil, fmt.Errorf("listing this host's sockets: %w", err)
	}
	if socks == nil {
		socks = []sockets.Socket{}
	}
	return socks, nil
}

// portRanges are the host ports of the bindings.
func portRanges(bindings []check.Binding) []sockets.PortRange {
	rs := make([]sockets.PortRange, len(bindings))
	for i, b := range bindings {
		rs[i] = sockets.PortRange{First: b.Published, Last: b.Last}
	}
	return rs
}

// askEngine asks the engine the docker CLI would talk to (or, when none
// is configured and the Docker socket does not answer, a Podman socket)
// what it holds. It reports the endpoint that answered, what it said (nil
// when none did), whether it is remote (its ports are on another
// machine), and a warning when no engine answered in auto mode; in
// required mode that is an error.
func askEngine(ctx context.Context, o Options) (engine.Endpoint, *engine.View, bool, *check.Finding, error) {
	if o.Engine == "off" {
		return engine.Endpoint{}, nil, false, nil, nil
	}
	ep, err := resolveEngine(o.Load.Environ)
	if err == nil {
		for _, try := range append([]engine.Endpoint{ep}, ep.Fallbacks...) {
			v, aerr := engine.Ask(ctx, try, o.EngineTimeout)
			if aerr == nil {
				return try, &v, try.Remote, nil, nil
			}
			if try.Host == ep.Host {
				err = aerr // the first engine's problem is the one to report
			}
			if !errors.Is(aerr, engine.ErrNoEngine) {
				err = aerr
				break
			}
		}
	}
	if o.Engine == "required" || o.Stack != "" {
		flag := "--engine=required"
		if o.Stack != "" {
			flag = "--stack"
		}
		return ep, nil, false, nil, fmt.Errorf("%s: %s", flag, engineProblem(ep, err))
	}
	return ep, nil, ep.Remote, &check.Finding{Kind: check.KindEngineUnreachable, Severity: check.Warning, Binding: -1, Other: -1,
		Detail: engineProblem(ep, err) + "; ports held by containers were not checked (--engine=off hides this)"}, nil
}

// resolveEngine finds the engine endpoint from the run's environment.
func resolveEngine(environ []string) (engine.Endpoint, error) {
	env := engine.Env{GOOS: runtime.GOOS, Vars: map[string]string{}, HomeDir: getenv(environ, "HOME")}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env.Vars[k] = v
		}
	}
	if env.HomeDir == "" {
		env.HomeDir = getenv(environ, "USERPROFILE")
	}
	return engine.Resolve(env)
}

// engineProblem says in a few words why no engine answered, for the one
// warning a run prints about it; the client's own message repeats the
// address three times.
func engineProblem(ep engine.Endpoint, err error) string {
	var ue *engine.UnreachableError
	if !errors.As(err, &ue) {
		return err.Error()
	}
	at := fmt.Sprintf("no Docker engine at %s (%s)", ep.Host, ep.Source)
	switch {
	case errors.Is(err, syscall.ENOENT):
		return at + ": the socket does not exist"
	case errors.Is(err, syscall.ECONNREFUSED):
		return at + ": nothing listens on it"
	case errors.Is(err, syscall.EACCES) || errors.Is(err, os.ErrPermission):
		return at + ": permission denied on its socket"
	case errors.Is(err, context.DeadlineExceeded):
		return at + ": " + ue.Err.Error()
	}
	return ue.Error()
}

// probedRangeWidth is the widest expanded range whose ports are each
// probed; wider ones are checked against the socket table only.
const probedRangeWidth = 64

// probeUnexplained asks the kernel, with a bind probe per address, about
// every fixed port the socket table found free. The table of listeners is
// cheap; the TCP sockets that are bound but not listening cost a walk of
// the kernel's connection tables, so they are listed only when a probe
// finds a port busy that the table does not explain. What stays
// unexplained (an outgoing connection from that port, a socket of another
// kind) is still reported: the engine's bind would fail the same way.
func probeUnexplained(ctx context.Context, in *check.Input, fs []check.Finding) ([]check.Finding, error) {
	explained := map[int]bool{}
	for _, f := range fs {
		if f.Kind == check.KindInUse || f.Kind == check.KindShadowed {
			explained[f.Binding] = true
		}
	}
	// A wide expanded range is not probed port by port (65,535 probes for
	// "1-65535:1-65535"): its ports are checked against the table only.
	entryPorts := map[int]int{}
	for _, b := range in.Bindings {
		if b.Entry != 0 {
			entryPorts[b.Entry]++
		}
	}
	busy := map[int]netip.Addr{}
	for i, b := range in.Bindings {
		if explained[i] || b.IsRange() || (b.Protocol != "tcp" && b.Protocol != "udp") || entryPorts[b.Entry] > probedRangeWidth {
			continue
		}
		for _, a := range in.BindAddrs(b) {
			if sockets.Probe(b.Protocol, a, b.Published).Status == sockets.Busy {
				busy[i] = a
				break
			}
		}
	}
	if len(busy) == 0 {
		return fs, nil
	}
	var busyPorts []sockets.PortRange
	for i := range busy {
		busyPorts = append(busyPorts, sockets.PortRange{First: in.Bindings[i].Published, Last: in.Bindings[i].Published})
	}
	bound, err := sockets.ListBound(ctx, busyPorts...)
	if err != nil {
		return nil, fmt.Errorf("listing bound TCP sockets: %w", err)
	}
	if len(bound) > 0 {
		in.Sockets = append(in.Sockets, bound...)
		fs = check.Find(*in)
	}
	for _, f := range fs {
		if f.Kind == check.KindInUse || f.Kind == check.KindShadowed {
			delete(busy, f.Binding)
		}
	}
	for i, a := range busy {
		b := in.Bindings[i]
		fs = append(fs, check.Finding{Kind: check.KindInUse, Severity: check.Error, Binding: i, Other: -1, Service: b.Service, Port: b.Published,
			Detail: fmt.Sprintf("this host refuses a bind of %s, yet no listening socket holds it: an outgoing connection from port %d, or a socket this user cannot list, is in the way",
				sockAddr(a, b.Published, b.Protocol), b.Published)})
	}
	sort.SliceStable(fs, func(a, b int) bool {
		if fs[a].Binding != fs[b].Binding {
			return fs[a].Binding < fs[b].Binding
		}
		return fs[a].Severity > fs[b].Severity
	})
	return fs, nil
}

// checkBindings turns compose's bindings into check's plain values.
func checkBindings(p *compose.Project) ([]check.Binding, error) {
	out := make([]check.Binding, 0, len(p.Bindings))
	entries := map[string]int{}
	for _, b := range p.Bindings {
		cb := check.Binding{Service: b.Service, Target: b.Target, Protocol: b.Protocol, Replicas: b.Replicas}
		if b.HostIP != "" {
			ip, err := netip.ParseAddr(strings.Trim(b.HostIP, "[]"))
			if err != nil {
				return nil, fmt.Errorf("%s: service %q: host IP %q is not an IP address", where(b), b.Service, b.HostIP)
			}
			cb.HostIP = ip
		}
		cb.Published, cb.Last = b.First, b.Last // parsed and validated by compose
		if len(b.Sources) > 0 {
			// the bindings of one ports entry (an expanded range) share it
			k := sourceKey(b)
			if entries[k] == 0 {
				entries[k] = len(entries) + 1
			}
			cb.Entry = entries[k]
		}
		out = append(out, cb)
	}
	return out, nil
}

// engineChosenBindings are the ports whose host port the engine picks
// ("80", "0:80", "127.0.0.1::80"), in service order, for the services
// whose ports the engine publishes (not network_mode host or service:).
func engineChosenBindings(p *compose.Project) []check.Binding {
	skip := map[string]bool{}
	for _, s := range slices.Concat(p.HostNetwork, p.SharedNetwork) {
		skip[s.Service] = true
	}
	var out []check.Binding
	for _, name := range slices.Sorted(maps.Keys(p.Ports)) {
		if skip[name] {
			continue
		}
		for _, pc := range p.Ports[name] {
			if pc.Published != "" && pc.Published != "0" {
				continue
			}
			b := check.Binding{Service: name, Target: pc.Target, Protocol: pc.Protocol}
			if ip, err := netip.ParseAddr(strings.Trim(pc.HostIP, "[]")); err == nil {
				b.HostIP = ip
			}
			out = append(out, b)
		}
	}
	return out
}

// where names the first place a binding is defined, for error messages.
func where(b compose.Binding) string {
	if len(b.Sources) == 0 {
		return "compose file"
	}
	s := b.Sources[0]
	return fmt.Sprintf("%s:%d:%d", s.File, s.Line, s.Column)
}

// networkModeFindings report services whose network_mode changes what
// their ports mean: on the host network the engine drops ports: and the
// container binds the host directly (a warning); sharing another
// container's network while publishing ports is refused by the engine.
func networkModeFindings(p *compose.Project) []check.Finding {
	var out []check.Finding
	for _, s := range p.HostNetwork {
		detail := "uses network_mode: host: it binds its ports on the host directly, and the engine ignores its ports: entries"
		if ports := hostPorts(s.Ports); ports != "" {
			detail += "; it probably listens on " + ports
		}
		out = append(out, check.Finding{Kind: check.KindHostNetwork, Severity: check.Warning, Binding: -1, Other: -1, Service: s.Service, Detail: detail})
	}
	for _, s := range p.SharedNetwork {
		detail := fmt.Sprintf("uses network_mode: %s and publishes %s: the engine refuses to create it (conflicting options: port publishing and the container type network mode)", s.NetworkMode, hostPorts(s.Ports))
		out = append(out, check.Finding{Kind: check.KindNetworkMode, Severity: check.Error, Binding: -1, Other: -1, Service: s.Service, Detail: detail})
	}
	return out
}

func hostPorts(ps []compose.HostPort) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Port+"/"+p.Protocol)
	}
	return strings.Join(out, ", ")
}

// attachOwners looks up who holds the sockets in the findings: only
// those, since the lookup walks /proc.
func attachOwners(ctx context.Context, fs []check.Finding) error {
	var socks []sockets.Socket
	for _, f := range fs {
		for _, h := range f.Holders {
			if h.HasSocket() {
				socks = append(socks, h.Socket)
			}
		}
	}
	if len(socks) == 0 {
		return nil
	}
	owners, err := sockets.Owners(ctx, socks)
	if err != nil {
		return fmt.Errorf("finding who holds the ports: %w", err)
	}
	for i := range fs {
		for j := range fs[i].Holders {
			h := &fs[i].Holders[j]
			if o, ok := owners[h.Socket]; ok {
				h.Owner = &o
			}
		}
	}
	return nil
}

// settleHolders drops the holders that were not really there: a socket
// that no process owns any more and that a second listing no longer shows,
// and a socket held by compose-preflight itself, which holds ports only
// for the microseconds of a probe (another check running at the same
// time, from a hook and a make target). A finding left with no holder
// goes too.
func settleHolders(ctx context.Context, fs []check.Finding) ([]check.Finding, error) {
	// the holders' ports, before the loop below edits fs in place
	var ports []sockets.PortRange
	for _, f := range fs {
		for _, h := range f.Holders {
			if h.HasSocket() {
				ports = append(ports, sockets.PortRange{First: h.Socket.Port, Last: h.Socket.Port})
			}
		}
	}
	var again map[sockets.Socket]bool
	relist := func() error {
		if again != nil {
			return nil
		}
		again = map[sockets.Socket]bool{}
		for _, list := range []func(context.Context, ...sockets.PortRange) ([]sockets.Socket, error){sockets.ListListening, sockets.ListBound} {
			socks, err := list(ctx, ports...)
			if err != nil {
				return fmt.Errorf("listing this host's sockets again: %w", err)
			}
			for _, s := range socks {
				again[s] = true
			}
		}
		return nil
	}
	out := fs[:0]
	for _, f := range fs {
		if len(f.Holders) == 0 {
			out = append(out, f)
			continue
		}
		kept := f.Holders[:0]
		for _, h := range f.Holders {
			switch {
			case !h.HasSocket():
			case h.Owner != nil && (h.Owner.Name == "compose-preflight" || h.Owner.Name == "docker-preflight"):
				continue
			case h.Owner == nil:
				if err := relist(); err != nil {
					return nil, err
				}
				if !again[h.Socket] {
					continue
				}
			}
			kept = append(kept, h)
		}
		if len(kept) > 0 {
			f.Holders = kept
			out = append(out, f)
		}
	}
	return out, nil
}

// nextMoves maps each binding a planned move shifts to that move, for
// the report's next step (a move with no free port says why).
func nextMoves(moves []*Move) map[int]*Move {
	next := make(map[int]*Move)
	for _, m := range moves {
		for _, i := range m.bindings {
			next[i] = m
		}
	}
	return next
}

// getenv reads key from environ (the last definition wins, as in the
// process environment).
func getenv(environ []string, key string) string {
	v, _ := compose.LookupEnv(environ, key)
	return v
}
