package sockets

import (
	"encoding/binary"
	"slices"
)

// A sock_diag dump can carry a filter program (INET_DIAG_REQ_BYTECODE) that
// the kernel runs on every socket before it formats a reply for it. With
// thousands of sockets on the host and a project publishing twenty ports,
// the kernel then sends twenty replies instead of thousands, and this
// process decodes and keeps twenty sockets: the dump's cost on a loaded
// host was mostly building and copying the replies.
//
// The program is the one iproute2's ss compiles for
// "sport >= A and sport <= B or sport >= C and ...": each op is struct
// inet_diag_bc_op {u8 code; u8 yes; u16 no}, yes and no being how many
// bytes to jump forward when the condition holds or fails. Jumping exactly
// to the end accepts the socket, jumping 4 bytes past it rejects it. The
// kernel audits a program before running it: every jump must be 4-byte
// aligned, at most 4 bytes past the end, and land on an op reachable
// through the chain of yes jumps; so a range is followed by an
// unconditional JMP to the end (its yes jump, 4, only serves the audit).
const (
	diagReqBytecode = 1 // INET_DIAG_REQ_BYTECODE: the request attribute

	bcJMP  = 1 // INET_DIAG_BC_JMP: always takes its no jump
	bcSGE  = 2 // INET_DIAG_BC_S_GE: local port >= the next op's no
	bcSLE  = 3 // INET_DIAG_BC_S_LE: local port <= the next op's no
	bcOp   = 4 // sizeof(struct inet_diag_bc_op)
	bcPort = 2 * bcOp

	// maxFilterRanges bounds the program (20 bytes a range, and the
	// kernel's walk of it for every socket); past it the dump is not
	// filtered, which lists more than asked, never less.
	maxFilterRanges = 1024
)

// portFilter compiles a filter that accepts a socket whose local port is in
// one of the ranges. It returns nil for no ranges or too many.
func portFilter(ports []PortRange) []byte {
	rs := mergeRanges(ports)
	if len(rs) == 0 || len(rs) > maxFilterRanges {
		return nil
	}
	total := len(rs)*(2*bcPort+bcOp) - bcOp // no JMP after the last range
	b := make([]byte, 0, total)
	op := func(code uint8, yes int, no int) {
		b = append(b, code, uint8(yes))
		b = binary.NativeEndian.AppendUint16(b, uint16(no))
	}
	for i, r := range rs {
		at := len(b)
		next := at + 2*bcPort + bcOp // where the next range starts
		if i == len(rs)-1 {
			next = total + 4 // reject
		}
		op(bcSGE, bcPort, next-at)
		op(0, 0, int(r.First))
		op(bcSLE, bcPort, next-(at+bcPort))
		op(0, 0, int(r.Last))
		if i < len(rs)-1 {
			op(bcJMP, bcOp, total-(at+2*bcPort))
		}
	}
	return b
}

// mergeRanges sorts ranges and joins those that overlap or touch; a range
// whose First is above its Last is left out.
func mergeRanges(ports []PortRange) []PortRange {
	var rs []PortRange
	for _, r := range ports {
		if r.First <= r.Last {
			rs = append(rs, r)
		}
	}
	slices.SortFunc(rs, func(a, b PortRange) int { return int(a.First) - int(b.First) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && int(r.First) <= int(out[n-1].Last)+1 {
			out[n-1].Last = max(out[n-1].Last, r.Last)
			continue
		}
		out = append(out, r)
	}
	return out
}

// withFilter appends the filter to a dump request as its bytecode
// attribute and fixes the message length; a nil filter leaves it as is.
func withFilter(req, filter []byte) []byte {
	if filter == nil {
		return req
	}
	ne := binary.NativeEndian
	attrLen := rtattrHdrLen + len(filter) // the filter is a multiple of 4 bytes
	req = ne.AppendUint16(req, uint16(attrLen))
	req = ne.AppendUint16(req, diagReqBytecode)
	req = append(req, filter...)
	ne.PutUint32(req[0:], uint32(len(req)))
	return req
}
