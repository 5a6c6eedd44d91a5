//go:build linux

package realengine

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/reports/*.golden from this engine")

// reportsEngine is the engine the report goldens are recorded on: the
// texts name what the engine shows (docker-proxy sockets, its IPv6 half,
// its API version), so another engine words some of them differently.
const reportsEngine = "1.41"

// reports are scenarios whose whole report is held in a golden file,
// proving on a real engine what the CLI's golden cases once showed with a
// fake Engine API: a container of another project, another service of the
// same project, this project's own container, a host process beside the
// engine, a rootful engine and port 80.
var reports = []scenario{
	{name: "other-project-container", files: one(svc("web", "", `"{p0}:80"`)), others: []other{{compose: compose(svc("db", "", `"{p0}:5432"`))}}},
	{name: "other-service-same-project", files: one(svc("db", "profiles: [\"old\"]", `"{p0}:5432"`), svc("reporting", "", `"{p0}:5432"`)), before: compose(svc("db", "", `"{p0}:5432"`))},
	{name: "own-container", files: one(svc("db", "", `"{p0}:5432"`)), before: compose(svc("db", "", `"{p0}:5432"`))},
	{name: "own-container-changed", files: one(svc("db", "", `"127.0.0.1:{p0}:5432"`)), before: compose(svc("db", "", `"{p0}:5432"`))},
	{name: "host-process-and-container", files: one(svc("web", "", `"{p0}:80"`, `"{p1}:81"`)), hold: []string{"tcp4 127.0.0.1:{p0}"}, others: []other{{compose: compose(svc("db", "", `"127.0.0.1:{p1}:5432"`))}}},
	{name: "ipv6-half", files: one(svc("web", "", `"{p0}:80"`)), hold: []string{"tcp6 [::1]:{p0}"}},
	{name: "range-first-held-old-engine", files: one(svc("web", "", `"{p0}-{p2}:80"`)), hold: []string{"tcp4 0.0.0.0:{p0}"}},
	{name: "engine-chosen-twice-old-engine", files: one(svc("web", "", `"0:80"`, `"80"`))},
	{name: "rootful-engine-port-80", files: one(svc("web", "", `"80:80"`))},
}

func TestReports(t *testing.T) {
	e := need(t)
	if e.apiVersion != reportsEngine || e.proxyOff {
		t.Skipf("the report goldens are recorded on dockerd 20.10 (API %s) with its userland proxy; this engine is API %s, proxy %v",
			reportsEngine, e.apiVersion, !e.proxyOff)
	}
	for _, sc := range reports {
		t.Run(sc.name, func(t *testing.T) {
			ps := portPool.block(t, 4)
			r := replacer(ps)
			dir := setUp(t, sc, r)
			report, code := run(t, dir, e.tool, "--engine=required", "--engine-timeout=20s")
			got := fmt.Sprintf("%s[exit %d]\n", normaliseReport(report, dir, ps), code)
			golden := filepath.Join("testdata", "reports", sc.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update on dockerd 20.10 writes it)", err)
			}
			if got != string(want) {
				t.Errorf("report differs from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

var (
	pidText    = regexp.MustCompile(`pid \d+`)
	testPath   = regexp.MustCompile(`/\S*/realengine\.test\b[^,)]*`)
	portNumber = regexp.MustCompile(`\b\d{4,5}\b`)
)

// normaliseReport hides what changes from run to run: the ports the
// scenario got, its folder, pids and the test binary's path.
func normaliseReport(s, dir string, ps []int) string {
	s = strings.ReplaceAll(s, dir, "$DIR")
	s = pidText.ReplaceAllString(s, "pid PID")
	s = testPath.ReplaceAllString(s, "realengine.test")
	// a scenario's ports are consecutive, and so are the next free ones
	// the report suggests: {pN} is the block's first port plus N
	return portNumber.ReplaceAllStringFunc(s, func(m string) string {
		n, _ := strconv.Atoi(m)
		if k := n - ps[0]; k >= 0 && k < 10 {
			return fmt.Sprintf("{p%d}", k)
		}
		return m
	})
}
