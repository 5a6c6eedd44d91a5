package testutil

import (
	"io"
	"net"
)

// closers closes several things as one.
type closers []io.Closer

func (cs closers) Close() error {
	for _, c := range cs {
		c.Close()
	}
	return nil
}

// ClientFrom opens an outgoing TCP connection whose local end is addr,
// then closes the listener it reached: a client socket on the port and no
// listener, which blocks a listener's bind there (even with SO_REUSEADDR).
func ClientFrom(addr string) (io.Closer, error) {
	local, err := net.ResolveTCPAddr("tcp4", addr)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer l.Close()
	d := net.Dialer{LocalAddr: local}
	c, err := d.Dial("tcp4", l.Addr().String())
	if err != nil {
		return nil, err
	}
	s, err := l.Accept()
	if err != nil {
		c.Close()
		return nil, err
	}
	// The accepted end stays on the listener's port, the client end on addr.
	return closers{c, s}, nil
}
