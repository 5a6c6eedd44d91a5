package sockets

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
)

// ListProcNet lists TCP listeners and bound UDP sockets from
// procRoot/net/{tcp,tcp6,udp,udp6} (procRoot is normally "/proc"). It is the
// fallback for kernels or sandboxes without NETLINK_SOCK_DIAG: slower (the
// kernel walks every established-hash bucket to print the file), blind to TCP
// sockets that are bound but not listening, and without IPV6_V6ONLY, so IPv6
// sockets come back V6OnlyUnknown. A missing file (no IPv6) is not an error.
func ListProcNet(ctx context.Context, procRoot string) ([]Socket, error) {
	var socks []Socket
	buf := make([]byte, 64<<10)
	for _, name := range []string{"tcp", "tcp6", "udp", "udp6"} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		proto := name[:3]
		path := filepath.Join(procRoot, "net", name)
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read socket table: %w", err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(buf, len(buf)) // large reads: fewer trips through seq_file
		first := true
		for sc.Scan() {
			if first { // the column header
				first = false
				continue
			}
			s, ok, err := parseProcNetLine(sc.Bytes(), proto)
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			if ok {
				socks = append(socks, s)
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	}
	return socks, nil
}

// parseProcNetLine decodes one row of /proc/net/{tcp,tcp6,udp,udp6}:
//
//	sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid  timeout inode ...
//	0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22617 ...
//
// proto is "tcp" or "udp". It returns ok=false for rows that hold no port
// the engine could collide with: TCP rows not in LISTEN, rows with port 0.
// Addresses are printed as the raw 32-bit words of the kernel's network-order
// address in host byte order, so each word is decoded as a host-order integer
// and stored back in host byte order.
func parseProcNetLine(line []byte, proto string) (s Socket, ok bool, err error) {
	fields := bytes.Fields(line)
	if len(fields) < 10 {
		return Socket{}, false, fmt.Errorf("short socket table row %q", line)
	}
	state, err := strconv.ParseUint(string(fields[3]), 16, 8)
	if err != nil {
		return Socket{}, false, fmt.Errorf("socket state %q: %w", fields[3], err)
	}
	switch proto {
	case "tcp":
		if state != tcpListen {
			return Socket{}, false, nil
		}
		s.State = Listen
	case "udp":
		s.State = Datagram
	default:
		return Socket{}, false, fmt.Errorf("unknown protocol %q", proto)
	}
	s.Protocol = proto
	local := fields[1]
	colon := bytes.IndexByte(local, ':')
	if colon < 0 {
		return Socket{}, false, fmt.Errorf("local address %q: no port", local)
	}
	s.Addr, err = parseProcNetAddr(local[:colon])
	if err != nil {
		return Socket{}, false, err
	}
	port, err := strconv.ParseUint(string(local[colon+1:]), 16, 16)
	if err != nil {
		return Socket{}, false, fmt.Errorf("local port %q: %w", local[colon+1:], err)
	}
	if port == 0 {
		return Socket{}, false, nil
	}
	s.Port = uint16(port)
	uid, err := strconv.ParseUint(string(fields[7]), 10, 32)
	if err != nil {
		return Socket{}, false, fmt.Errorf("uid %q: %w", fields[7], err)
	}
	s.UID, s.UIDKnown = uint32(uid), true
	s.Inode, err = strconv.ParseUint(string(fields[9]), 10, 64)
	if err != nil {
		return Socket{}, false, fmt.Errorf("inode %q: %w", fields[9], err)
	}
	return s, true, nil
}

func parseProcNetAddr(h []byte) (netip.Addr, error) {
	if len(h) != 8 && len(h) != 32 {
		return netip.Addr{}, fmt.Errorf("address %q: want 8 or 32 hex digits", h)
	}
	var a [16]byte
	for i := 0; i < len(h)/8; i++ {
		w, err := strconv.ParseUint(string(h[i*8:i*8+8]), 16, 32)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("address %q: %w", h, err)
		}
		binary.NativeEndian.PutUint32(a[i*4:], uint32(w))
	}
	if len(h) == 8 {
		return netip.AddrFrom4([4]byte(a[:4])), nil
	}
	return netip.AddrFrom16(a), nil
}
