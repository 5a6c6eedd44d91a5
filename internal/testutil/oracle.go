package testutil

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// OraclePort is one published port as `docker compose config` reported it.
type OraclePort struct {
	Service   string `json:"service"`
	HostIP    string `json:"host_ip"`
	Published string `json:"published"` // "" or "0": the engine picks one
	Target    uint32 `json:"target"`
	Protocol  string `json:"protocol"`
	Mode      string `json:"mode"`
}

// Fixed reports whether the port names a host port.
func (p OraclePort) Fixed() bool { return p.Published != "" && p.Published != "0" }

func (p OraclePort) String() string {
	return fmt.Sprintf("%s %s:%s:%d/%s", p.Service, p.HostIP, p.Published, p.Target, p.Protocol)
}

// OracleRecord is one line of the shared corpus's oracle.jsonl: how
// `docker compose config` was invoked on a project and what it said (see
// the corpus README).
type OracleRecord struct {
	Project    string       `json:"project"`
	Files      []string     `json:"files"`
	ProjectDir string       `json:"project_dir"`
	ExtraArgs  []string     `json:"extra_args"`
	OK         bool         `json:"ok"`
	Error      string       `json:"error"`
	Ports      []OraclePort `json:"ports"`
}

// Oracle returns the shared corpus folder (../shared/corpus beside the
// repository) and its records. It skips the test when the folder is
// absent, so a fresh clone without it still passes.
func Oracle(t *testing.T) (corpus string, records []OracleRecord) {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
	corpus = filepath.Join(filepath.Dir(dir), "shared", "corpus")
	f, err := os.Open(filepath.Join(corpus, "oracle.jsonl"))
	if err != nil {
		t.Skipf("the shared corpus is not available (%v): skipping", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r OracleRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", f.Name(), err)
		}
		records = append(records, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", f.Name(), err)
	}
	return corpus, records
}
