package check

import (
	"strings"
	"testing"
)

// TestKindDescription: every kind the check reports is described in one
// sentence (a SARIF rule's shortDescription), and nothing else is.
func TestKindDescription(t *testing.T) {
	kinds := []Kind{KindInUse, KindShadowed, KindDuplicate, KindReplicas, KindOwn, KindHostNetwork, KindNetworkMode,
		KindHostIP, KindEphemeral, KindPrivileged, KindEngineUnreachable, KindRangeOrder, KindInContainer}
	for _, k := range kinds {
		d := k.Description()
		if d == "" || !strings.HasSuffix(d, ".") || strings.Contains(d, "\n") {
			t.Errorf("%s: description %q, want one sentence", k, d)
		}
	}
	if d := Kind("no-such-kind").Description(); d != "" {
		t.Errorf("an unknown kind is described: %q", d)
	}
}
