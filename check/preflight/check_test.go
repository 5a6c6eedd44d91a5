package preflight

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-preflight/compose-preflight/compose"
	"github.com/compose-preflight/compose-preflight/compose/rewrite"
)

// TestCheckErrors: the errors of Check tell a project that does not load
// (a *compose.LoadError, file and line) and bad options from a fix that
// cannot be made (a *FixError: another fix holds the project's lock), which
// the command maps to exit codes 2 and 1.
func TestCheckErrors(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the lock's folder
	dir := t.TempDir()
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	opts := Options{Load: compose.Options{WorkingDir: dir}, Static: true}

	write("services:\n  web:\n    image: nginx\n    ports:\n      - target: 80\n        published: \"70000\"\n")
	_, err := Check(ctx, opts)
	var le *compose.LoadError
	if !errors.As(err, &le) || le.Line != 6 {
		t.Errorf("a published port of 70000: %v, want a *compose.LoadError at line 6", err)
	}
	if fe := (*FixError)(nil); errors.As(err, &fe) {
		t.Errorf("a load error is a *FixError: %v", err)
	}

	write("services:\n  web:\n    image: nginx\n    ports: [\"8080:80\"]\n")
	bad := opts
	bad.Engine = "sometimes"
	if _, err := Check(ctx, bad); err == nil || !strings.Contains(err.Error(), `"sometimes"`) {
		t.Errorf("engine mode sometimes: %v", err)
	}

	unlock, err := rewrite.Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	locked := opts
	locked.ForFix, locked.Lock = true, true
	_, err = Check(ctx, locked)
	if fe := (*FixError)(nil); !errors.As(err, &fe) || !strings.Contains(err.Error(), "another compose-preflight --fix is running") {
		t.Errorf("Check under another run's lock: %v, want a *FixError naming the other run", err)
	}
	unlock()

	res, err := Check(ctx, locked)
	if err != nil {
		t.Fatal(err)
	}
	// the lock is held until Close
	if again, err := rewrite.Lock(dir); err == nil {
		again()
		t.Error("the project's lock was not held by the result")
	}
	res.Close()
	again, err := rewrite.Lock(dir)
	if err != nil {
		t.Fatalf("the lock after Close: %v", err)
	}
	again()
}
