//go:build !linux

package netnstest

import (
	"errors"
	"syscall"
)

func newNetns() *syscall.SysProcAttr { return nil }

func loopbackUp() error { return errors.New("network namespaces are Linux only") }
