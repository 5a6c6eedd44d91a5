package preflight

import (
	"context"
	"net"
	"testing"

	"github.com/compose-preflight/compose-preflight/check"
	"github.com/compose-preflight/compose-preflight/check/sockets"
)

// TestSettleHolders: a holder whose socket a second listing no longer
// shows (it closed since the first) is dropped, and its finding with it;
// a holder held by compose-preflight itself (a concurrent check's probe)
// is dropped; a socket that is still there stays, owner or not.
func TestSettleHolders(t *testing.T) {
	ctx := context.Background()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	listed, err := sockets.ListListening(ctx, sockets.PortRange{First: port, Last: port})
	if err != nil {
		t.Fatal(err)
	}
	var live sockets.Socket
	for _, s := range listed {
		if s.Protocol == "tcp" && s.Port == port {
			live = s
		}
	}
	if live.Port == 0 {
		t.Fatalf("the test's listener on port %d is not listed: %+v", port, listed)
	}
	gone := live
	gone.Inode, gone.Port = live.Inode+1<<20, port+1 // no such socket
	holder := func(s sockets.Socket, owner string) check.Holder {
		h := check.Holder{Socket: s, Verdict: check.InUse}
		if owner != "" {
			h.Owner = &sockets.Owner{PID: 1, Name: owner}
		}
		return h
	}
	finding := func(hs ...check.Holder) check.Finding {
		return check.Finding{Kind: check.KindInUse, Severity: check.Error, Binding: 0, Other: -1, Holders: hs}
	}
	fs := []check.Finding{
		finding(holder(gone, "")),                                                // vanished: dropped
		finding(holder(live, "")),                                                // still listed: kept
		finding(holder(live, "compose-preflight")),                               // a concurrent probe: dropped
		finding(holder(gone, ""), holder(live, "node")),                          // one of two kept
		{Kind: check.KindDuplicate, Severity: check.Error, Binding: 0, Other: 1}, // no holders: kept
	}
	got, err := settleHolders(ctx, fs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d findings left, want 3: %+v", len(got), got)
	}
	if len(got[0].Holders) != 1 || got[0].Holders[0].Socket != live || got[0].Holders[0].Owner != nil {
		t.Errorf("the still-listed holder: %+v", got[0].Holders)
	}
	if len(got[1].Holders) != 1 || got[1].Holders[0].Owner == nil || got[1].Holders[0].Owner.Name != "node" {
		t.Errorf("of two holders, the live one with its owner should stay: %+v", got[1].Holders)
	}
	if got[2].Kind != check.KindDuplicate {
		t.Errorf("a finding without holders should stay: %+v", got[2])
	}
}
