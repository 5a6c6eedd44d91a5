//go:build !linux

package check

import "runtime"

// ReadHost returns this system's default port policy; only Linux exposes
// its ranges as files. procRoot is ignored.
func ReadHost(procRoot string) (Host, error) { return DefaultHost(runtime.GOOS), nil }
