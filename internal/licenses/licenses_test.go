// Package licenses holds the licence check of the module's dependencies:
// compose-preflight is Apache-2.0, and so may only be built from modules
// whose licences allow that. It is a test so that `go test ./...` runs it
// with everything else; .ci/licenses runs it alone, verbose, to list them.
package licenses

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/licensecheck"
)

// compatible are the licences (SPDX identifiers, as licensecheck names
// them) that a work distributed under Apache-2.0 may include: the
// permissive ones, and MPL-2.0, whose copyleft stays with its own files.
// Anything else, GPL, LGPL, AGPL and SSPL among them, or a licence not
// recognised at all, fails the check until someone has read it.
var compatible = []string{
	"Apache-2.0",
	"BSD-2-Clause",
	"BSD-3-Clause",
	"ISC",
	"MIT",
	"MPL-2.0",
}

// minCoverage is how much of a licence file, in percent of its words,
// must be recognised licence text. A file mostly made of something else
// (a licence with extra terms, say) is not taken on trust.
const minCoverage = 75

// module is one required module, as `go mod download -json` reports it.
type module struct {
	Path    string
	Version string
	Dir     string
	Error   string
}

// TestLicences reads the licence files of every module go.mod requires
// (direct or not: what any GOOS's build may link) from the module cache
// and fails on one that is missing, unrecognised or not compatible. It
// checks the module's own LICENSE too. Run verbose, it lists them.
func TestLicences(t *testing.T) {
	root := moduleRoot(t)
	own, err := classify(root)
	if err != nil || !slices.Equal(own, []string{"Apache-2.0"}) {
		t.Errorf("the module's own LICENSE: %v %v, want Apache-2.0", own, err)
	}
	mods := requiredModules(t, root)
	if len(mods) == 0 {
		t.Fatal("go.mod requires no module: the check would pass on nothing")
	}
	for _, m := range mods {
		ids, err := classify(m.Dir)
		if err != nil {
			t.Errorf("%s %s: %v", m.Path, m.Version, err)
			continue
		}
		for _, id := range ids {
			if !slices.Contains(compatible, id) {
				t.Errorf("%s %s: licence %s is not compatible with Apache-2.0 (or not yet reviewed)", m.Path, m.Version, id)
			}
		}
		t.Logf("%-70s %s", m.Path+" "+m.Version, strings.Join(ids, ", "))
	}
}

// TestClassify holds the check to failing: a GPL text, a file of
// unrelated words, and a folder without a licence are each refused.
func TestClassify(t *testing.T) {
	dir := t.TempDir()
	gpl := "GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n\n" +
		"This program is free software: you can redistribute it and/or modify it under the terms of the GNU General Public License as published by the Free Software Foundation, either version 3 of the License, or (at your option) any later version.\n"
	for name, text := range map[string]string{"gpl": gpl, "prose": "Do whatever you like with this, mostly.\n"} {
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "LICENSE"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		ids, err := classify(d)
		if err == nil && !slices.ContainsFunc(ids, func(id string) bool { return !slices.Contains(compatible, id) }) {
			t.Errorf("%s: classified %v, compatible; want refused", name, ids)
		}
	}
	if ids, err := classify(t.TempDir()); err == nil {
		t.Errorf("no licence file: classified %v, want an error", ids)
	}
}

// classify names the licences of the licence files at the top of dir
// (LICENSE, LICENCE, COPYING, with or without an extension or suffix).
// Source files (a license.go) are not licence files, and neither is a
// LICENSE.docs: the opencontainers and docker projects license their
// documentation, which no build links, apart from their code.
func classify(dir string) ([]string, error) {
	var files []string
	for _, pat := range []string{"LICEN[CS]E*", "licen[cs]e*", "COPYING*"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, err
		}
		for _, f := range m {
			if st, err := os.Stat(f); err != nil || st.IsDir() {
				continue // a licenses folder (licensecheck's own data)
			}
			if ext := filepath.Ext(f); ext != ".go" && ext != ".docs" {
				files = append(files, f)
			}
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no licence file in %s", dir)
	}
	var ids []string
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		cov := licensecheck.Scan(text)
		if cov.Percent < minCoverage {
			return nil, fmt.Errorf("%s: only %.0f%% recognised licence text (%v): read it and decide", filepath.Base(f), cov.Percent, matchIDs(cov))
		}
		for _, id := range matchIDs(cov) {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func matchIDs(cov licensecheck.Coverage) []string {
	var ids []string
	for _, m := range cov.Match {
		ids = append(ids, m.ID)
	}
	return ids
}

// moduleRoot is the folder of the module's go.mod.
func moduleRoot(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("not inside a module")
	}
	return filepath.Dir(gomod)
}

// requiredModules is every module go.mod requires, with its folder in the
// module cache (downloaded if it is not there yet).
func requiredModules(t *testing.T, root string) []module {
	cmd := exec.Command("go", "mod", "edit", "-json")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	var gomod struct {
		Require []struct{ Path, Version string }
	}
	if err := json.Unmarshal(out, &gomod); err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	args := []string{"mod", "download", "-json"}
	for _, r := range gomod.Require {
		args = append(args, r.Path+"@"+r.Version)
	}
	cmd = exec.Command("go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil && len(out) == 0 {
		t.Fatalf("go mod download: %v\n%s", err, stderr.Bytes())
	}
	var mods []module
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var m module
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("go mod download -json: %v", err)
		}
		if m.Error != "" {
			t.Errorf("%s %s: %s", m.Path, m.Version, m.Error)
			continue
		}
		mods = append(mods, m)
	}
	slices.SortFunc(mods, func(a, b module) int { return strings.Compare(a.Path, b.Path) })
	return mods
}
