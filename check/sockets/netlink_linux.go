package sockets

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// Kernel ABI of NETLINK_SOCK_DIAG (include/uapi/linux/inet_diag.h). x/sys/unix
// has the socket constants but not these structures, so they are spelled out
// here as offsets: the wire format is fixed, and a parser over a byte slice is
// easier to fuzz than one that casts pointers.
const (
	nlmsgHdrLen   = 16 // struct nlmsghdr
	diagReqLen    = 56 // struct inet_diag_req_v2
	diagReqV1Len  = 60 // struct inet_diag_req
	diagMsgLen    = 72 // struct inet_diag_msg
	rtattrHdrLen  = 4  // struct rtattr
	nlmsgErrLen   = 4  // the int at the start of struct nlmsgerr
	diagSKV6Only  = 11 // INET_DIAG_SKV6ONLY: u8 attribute, sent for every AF_INET6 socket
	tcpListen     = 10 // TCP_LISTEN
	tcpClose      = 7  // TCP_CLOSE: how a bound-only socket is reported
	tcpBoundInact = 13 // TCP_BOUND_INACTIVE: request-only state bit (Linux >= 6.8)

	tcpDiagGetSock = 18 // TCPDIAG_GETSOCK: the protocol-keyed request, all families

	// tcpStates asks for listeners and for sockets that are bound but not
	// listening: both make the engine's bind fail. Any bit besides LISTEN
	// makes the kernel walk the established hash too (about 2 ms under load,
	// research/sockets.md §1.4), a price worth paying for the bound-only
	// sockets nothing else shows. Older kernels ignore bit 13.
	tcpStates = 1<<tcpListen | 1<<tcpBoundInact
	// tcpListenOnly skips the established hash walk entirely: well under a
	// millisecond whatever the number of connections.
	tcpListenOnly = 1 << tcpListen
	tcpBoundOnly  = 1 << tcpBoundInact
	udpStates     = 0xffffffff

	recvBufLen = 64 << 10 // the kernel caps a dump datagram at 32 KiB
)

// ListNetlink lists TCP listeners, bound-only TCP sockets and bound UDP
// sockets of both families in the caller's network namespace through
// NETLINK_SOCK_DIAG. It needs no privilege, and it is the only source that
// reports IPV6_V6ONLY and bound-only TCP sockets. Listeners alone would cost
// well under a millisecond; asking for bound-only sockets makes the kernel
// also walk its bind and established hashes, a cost that grows with the
// number of connections on the host (research/sockets.md §1.4).
func ListNetlink(ctx context.Context) ([]Socket, error) {
	return listNetlink(ctx, tcpStates, true, nil)
}

// ListListening is the fast half of ListNetlink: TCP listeners and bound
// UDP sockets, without the bound-only TCP sockets whose dump walks the
// established hash (milliseconds under load). A check asks ListBound only
// when a bind probe finds a port busy that this list does not explain.
// Without netlink it reads /proc/net, which shows the same.
//
// With ports, the kernel leaves out the sockets on other ports (netlink
// only: the /proc/net fallback lists them all).
func ListListening(ctx context.Context, ports ...PortRange) ([]Socket, error) {
	return orProcNet(ctx, func(ctx context.Context) ([]Socket, error) {
		return listNetlink(ctx, tcpListenOnly, true, ports)
	})
}

// ListBound lists the TCP sockets that are bound but not listening (Linux
// 6.8 and later report them; older kernels, none). They block a bind as a
// listener does, and only netlink shows them. With ports, the kernel
// leaves out the sockets on other ports.
func ListBound(ctx context.Context, ports ...PortRange) ([]Socket, error) {
	return listNetlink(ctx, tcpBoundOnly, false, ports)
}

func listNetlink(ctx context.Context, tcpStates uint32, udp bool, ports []PortRange) ([]Socket, error) {
	filter := portFilter(ports)
	socks, err := dumpAll(ctx, tcpStates, udp, filter)
	if err != nil && filter != nil && ctx.Err() == nil {
		// A kernel that refuses the filter program still answers without
		// one: more sockets than asked for, none missing.
		return dumpAll(ctx, tcpStates, udp, nil)
	}
	return socks, err
}

// dumpAll runs the dumps of one listing on a new sock_diag socket.
func dumpAll(ctx context.Context, tcpStates uint32, udp bool, filter []byte) ([]Socket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("open netlink sock_diag socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("bind netlink sock_diag socket: %w", err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		// A dump never blocks for long, but a caller's deadline must hold even
		// if the kernel stalls: recvfrom then fails with EAGAIN.
		tv := unix.NsecToTimeval(max(time.Until(deadline), time.Millisecond).Nanoseconds())
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			return nil, fmt.Errorf("set netlink receive timeout: %w", err)
		}
	}

	buf := make([]byte, recvBufLen)
	seq := uint32(0)
	// Sockets are decoded straight into one slice: under load (thousands
	// of listeners) copying per datagram and per dump showed in profiles.
	socks := make([]Socket, 0, 256)
	dump := func(req []byte, proto uint8) ([]Socket, error) {
		return dumpDiag(ctx, fd, buf, withFilter(req, filter), seq, proto, socks)
	}

	// TCP first through the older TCPDIAG_GETSOCK request, which dumps both
	// families in one pass. The bound-only state bit makes the kernel walk
	// the bind and established hashes, which costs milliseconds under load
	// (5 ms with 10k established sockets on a 2-vCPU VM), and a request
	// per family would pay it twice. Should a kernel refuse it, ask per
	// family.
	seq++
	all, err := dump(compatRequest(seq, tcpStates), unix.IPPROTO_TCP)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		for _, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
			seq++
			if socks, err = dump(diagRequest(seq, family, unix.IPPROTO_TCP, tcpStates), unix.IPPROTO_TCP); err != nil {
				return nil, err
			}
		}
	} else {
		socks = all
	}
	for _, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		if !udp {
			break
		}
		seq++
		if socks, err = dump(diagRequest(seq, family, unix.IPPROTO_UDP, udpStates), unix.IPPROTO_UDP); err != nil {
			return nil, err
		}
	}
	return socks, nil
}

// dumpDiag sends one dump request and collects the reply, which may span
// many datagrams, up to NLMSG_DONE.
func dumpDiag(ctx context.Context, fd int, buf, req []byte, seq uint32, proto uint8, socks []Socket) ([]Socket, error) {
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("send sock_diag request: %w", err)
	}
	for done := false; !done; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, _, flags, _, err := unix.Recvmsg(fd, buf, nil, 0)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return nil, fmt.Errorf("receive sock_diag reply: %w", err)
		}
		if flags&unix.MSG_TRUNC != 0 {
			return nil, fmt.Errorf("receive sock_diag reply: datagram larger than %d bytes", len(buf))
		}
		socks, done, err = appendDiagMessages(socks, buf[:n], seq, proto)
		if err != nil {
			return nil, err
		}
	}
	return socks, nil
}

// compatRequest builds a TCPDIAG_GETSOCK dump request (struct inet_diag_req,
// the version 1 layout): the kernel answers for both address families.
func compatRequest(seq uint32, states uint32) []byte {
	b := make([]byte, nlmsgHdrLen+diagReqV1Len)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], tcpDiagGetSock)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(b[8:], seq)
	r := b[nlmsgHdrLen:]
	r[0] = unix.AF_INET // ignored for a dump: the kernel uses AF_UNSPEC
	// r[4:52] inet_diag_sockid all zero: no address filter.
	ne.PutUint32(r[52:], states)
	return b
}

// diagRequest builds one SOCK_DIAG_BY_FAMILY dump request.
func diagRequest(seq uint32, family, proto uint8, states uint32) []byte {
	b := make([]byte, nlmsgHdrLen+diagReqLen)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(b[8:], seq)
	// b[12:16] pid 0: the kernel fills in the port id.
	r := b[nlmsgHdrLen:]
	r[0] = family
	r[1] = proto
	// r[2] idiag_ext: no extensions; INET_DIAG_SKV6ONLY is sent unasked.
	ne.PutUint32(r[4:], states)
	// r[8:56] inet_diag_sockid all zero: no address filter.
	return b
}

// parseDiagMessages decodes one datagram of a sock_diag dump for the given
// IP protocol (the reply does not repeat it); TCPDIAG_GETSOCK replies are
// the same struct inet_diag_msg. Messages of another sequence
// number are skipped; done reports NLMSG_DONE. It never reads outside b:
// every length is checked against what is left before it is used.
func parseDiagMessages(b []byte, seq uint32, proto uint8) (socks []Socket, done bool, err error) {
	return appendDiagMessages(nil, b, seq, proto)
}

// appendDiagMessages is parseDiagMessages appending to socks.
func appendDiagMessages(socks []Socket, b []byte, seq uint32, proto uint8) (_ []Socket, done bool, err error) {
	ne := binary.NativeEndian
	for len(b) >= nlmsgHdrLen {
		msgLen := int(ne.Uint32(b[0:]))
		typ := ne.Uint16(b[4:])
		msgSeq := ne.Uint32(b[8:])
		if msgLen < nlmsgHdrLen || msgLen > len(b) {
			return socks, false, fmt.Errorf("sock_diag reply: bad message length %d (%d bytes left)", msgLen, len(b))
		}
		payload := b[nlmsgHdrLen:msgLen]
		b = b[min(nlmsgAlign(msgLen), len(b)):]
		if msgSeq != seq {
			continue
		}
		switch typ {
		case unix.NLMSG_DONE:
			// A dump that failed part way reports the error here.
			if len(payload) >= 4 {
				if e := int32(ne.Uint32(payload)); e < 0 {
					return socks, true, fmt.Errorf("sock_diag dump: %w", unix.Errno(-e))
				}
			}
			return socks, true, nil
		case unix.NLMSG_ERROR:
			if len(payload) < nlmsgErrLen {
				return socks, false, errors.New("sock_diag reply: truncated error message")
			}
			e := int32(ne.Uint32(payload))
			if e == 0 { // an acknowledgement, not an error
				continue
			}
			if e > 0 {
				return socks, false, fmt.Errorf("sock_diag reply: invalid error code %d", e)
			}
			return socks, true, fmt.Errorf("sock_diag request: %w", unix.Errno(-e))
		case unix.SOCK_DIAG_BY_FAMILY, tcpDiagGetSock: // the reply has the request's type
			s, ok := parseDiagMsg(payload, proto)
			if ok {
				socks = append(socks, s)
			}
		}
	}
	if len(b) != 0 {
		return socks, false, fmt.Errorf("sock_diag reply: %d trailing bytes", len(b))
	}
	return socks, false, nil
}

// parseDiagMsg decodes one struct inet_diag_msg and its attributes. It
// returns false for what cannot hold a port: unknown families, port 0, and
// TCP states other than LISTEN and bound-only.
func parseDiagMsg(p []byte, proto uint8) (Socket, bool) {
	if len(p) < diagMsgLen {
		return Socket{}, false
	}
	ne := binary.NativeEndian
	s := Socket{
		Port:     binary.BigEndian.Uint16(p[4:]),
		UID:      ne.Uint32(p[64:]),
		UIDKnown: true,
		Inode:    uint64(ne.Uint32(p[68:])),
	}
	switch p[0] {
	case unix.AF_INET:
		s.Addr = netip.AddrFrom4([4]byte(p[8:12]))
	case unix.AF_INET6:
		s.Addr = netip.AddrFrom16([16]byte(p[8:24]))
	default:
		return Socket{}, false
	}
	switch proto {
	case unix.IPPROTO_TCP:
		s.Protocol = "tcp"
		switch p[1] {
		case tcpListen:
			s.State = Listen
		case tcpClose:
			s.State = Bound
		default:
			return Socket{}, false
		}
	case unix.IPPROTO_UDP:
		s.Protocol = "udp"
		s.State = Datagram
	default:
		return Socket{}, false
	}
	if s.Port == 0 {
		return Socket{}, false
	}
	for a := p[nlmsgAlign(diagMsgLen):]; len(a) >= rtattrHdrLen; {
		l := int(ne.Uint16(a[0:]))
		if l < rtattrHdrLen || l > len(a) {
			break
		}
		if ne.Uint16(a[2:]) == diagSKV6Only && l > rtattrHdrLen && p[0] == unix.AF_INET6 {
			if a[rtattrHdrLen] != 0 {
				s.V6Only = V6OnlyOn
			} else {
				s.V6Only = V6OnlyOff
			}
		}
		a = a[min(nlmsgAlign(l), len(a)):]
	}
	return s, true
}

func nlmsgAlign(n int) int { return (n + 3) &^ 3 }
