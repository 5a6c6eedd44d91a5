package preflight_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/compose-preflight/compose-preflight/check/preflight"
	"github.com/compose-preflight/compose-preflight/compose"
	"github.com/compose-preflight/compose-preflight/compose/rewrite"
)

// project writes a compose project where two services publish the same
// host port, and returns its directory.
func project() string {
	dir, err := os.MkdirTemp("", "preflight-example-")
	if err != nil {
		log.Fatal(err)
	}
	yaml := `services:
  web:
    image: nginx
    ports:
      - "8080:80"
  api:
    image: nginx
    ports:
      - "8080:8000"
`
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(yaml), 0o644); err != nil {
		log.Fatal(err)
	}
	return dir
}

// Check a project's files only (Static: no host sockets, no engine, as
// in CI) and print each finding as the command line does, with the next
// step that names the port a fix would move it to.
func ExampleCheck() {
	dir := project()
	defer os.RemoveAll(dir)

	res, err := preflight.Check(context.Background(), preflight.Options{
		Load:   compose.Options{WorkingDir: dir},
		Static: true,
	})
	if err != nil {
		log.Fatal(err) // the project does not load: one line, file and line
	}
	defer res.Close()
	fmt.Println("checked:", res.Checked)
	for _, f := range res.Findings {
		fmt.Printf("%s: %s: %s [%s]\n", res.Location(f), f.Severity, res.Message(f), f.Kind)
		fmt.Println("  next:", res.NextStep(f))
	}
	// Output:
	// checked: the files only
	// compose.yaml:5:10: error: service "web" publishes 0.0.0.0:8080/tcp, which overlaps 0.0.0.0:8080/tcp of service "api" at compose.yaml:9:10: the engine refuses the second (port is already allocated) [duplicate]
	//   next: 8081 is the nearest free port
}

// Plan the fix of a check and show it as a diff, writing nothing: a dry
// run goes through every step of a fix, the reload that verifies it
// included, on a mirror of the files.
func ExampleResult_Fix() {
	dir := project()
	defer os.RemoveAll(dir)

	res, err := preflight.Check(context.Background(), preflight.Options{
		Load:   compose.Options{WorkingDir: dir},
		Static: true,
		ForFix: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer res.Close()
	for _, m := range res.Moves() {
		fmt.Printf("service %q: %s\n", m.Finding().Service, m)
	}
	fixed, err := res.Fix(context.Background(), preflight.FixOptions{DryRun: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range fixed.Changes {
		fmt.Print(rewrite.Diff(res.Rel(c.Path), c.Old, c.New))
	}
	fmt.Println(fixed.Remaining, "conflicts left")
	// Output:
	// service "web": 8080 -> 8081
	// --- a/compose.yaml
	// +++ b/compose.yaml
	// @@ -2,7 +2,7 @@
	//    web:
	//      image: nginx
	//      ports:
	// -      - "8080:80"
	// +      - "8081:80"
	//    api:
	//      image: nginx
	//      ports:
	// 0 conflicts left
}

// Write the fix: Lock holds the project's fix lock from the load on, so
// that two fixes of one project (a hook and a make target) never edit
// the same files at once; Close releases it.
func ExampleResult_Fix_write() {
	dir := project()
	defer os.RemoveAll(dir)

	ctx := context.Background()
	res, err := preflight.Check(ctx, preflight.Options{
		Load:   compose.Options{WorkingDir: dir},
		Static: true,
		ForFix: true,
		Lock:   true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer res.Close()
	fixed, err := res.Fix(ctx, preflight.FixOptions{})
	if err != nil {
		log.Fatal(err) // a *preflight.FixError: nothing was written
	}
	for _, l := range fixed.Lines {
		fmt.Println(l)
	}
	for _, l := range fixed.Summary {
		fmt.Println(l)
	}
	fmt.Println("clean:", fixed.Clean())
	// Output:
	// compose.yaml:5:10: fixed: service "web" 8080 -> 8081 (service "api" publishes 0.0.0.0:8080/tcp too)
	// 1 port moved; the project now checks clean.
	// clean: true
}
