package check

import (
	"fmt"
	"strconv"
	"strings"
)

// parseRanges reads a kernel port list such as "8080,9000-9005" (the
// format of ip_local_reserved_ports).
func parseRanges(s string) ([]PortRange, error) {
	var out []PortRange
	if s == "" {
		return nil, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		first, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("bad port %q", part)
		}
		last := first
		if isRange {
			if last, err = strconv.ParseUint(hi, 10, 16); err != nil || last < first {
				return nil, fmt.Errorf("bad port range %q", part)
			}
		}
		out = append(out, PortRange{uint16(first), uint16(last)})
	}
	return out, nil
}
