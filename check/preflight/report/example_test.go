package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-preflight/compose-preflight/check/preflight"
	"github.com/compose-preflight/compose-preflight/check/preflight/report"
	"github.com/compose-preflight/compose-preflight/compose"
	"github.com/compose-preflight/compose-preflight/compose/discover"
)

// writeProjects writes, in a new folder, a compose.yaml into each of its
// subfolders named ("." for the folder itself), and returns the folder.
func writeProjects(composeFiles map[string]string) string {
	dir, err := os.MkdirTemp("", "report-example-")
	for sub, yaml := range composeFiles {
		if err == nil {
			err = os.MkdirAll(filepath.Join(dir, sub), 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, sub, "compose.yaml"), []byte(yaml), 0o644)
		}
	}
	if err != nil {
		log.Fatal(err)
	}
	return dir
}

// shop is a project whose two services publish the same host port.
const shop = `services:
  front:
    image: nginx
    ports: ["8080:80"]
  admin:
    image: nginx
    ports: ["8080:3000"]
`

// checkShop checks the shop project's files (Static: no host sockets, no
// engine, as in CI); done removes the project.
func checkShop() (res *preflight.Result, done func()) {
	dir := writeProjects(map[string]string{".": shop})
	res, err := preflight.Check(context.Background(), preflight.Options{
		Load:   compose.Options{WorkingDir: dir},
		Static: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	return res, func() { res.Close(); os.RemoveAll(dir) }
}

// The JSON report of one check, as compose-preflight --format json
// prints it (Encode), here read field by field.
func ExampleNew() {
	res, done := checkShop()
	defer done()

	doc := report.New(res, false)
	fmt.Println("schema", doc.Schema, "exit code", doc.Summary.ExitCode)
	for _, f := range doc.Findings {
		src := f.Sources[0]
		fmt.Printf("%s %s: service %q publishes %s at %s:%d:%d; next free port %d\n",
			f.Severity, f.Kind, f.Service, f.Binding.Published, res.Rel(src.File), src.Line, src.Column, f.NextFreePort)
	}
	// Output:
	// schema 1 exit code 1
	// error duplicate: service "front" publishes 8080 at compose.yaml:4:14; next free port 8081
}

// Several projects checked in one run, as compose-preflight --recursive
// checks every project below a folder: one document sums them up.
func ExampleMerge() {
	dir := writeProjects(map[string]string{
		"shop": shop,
		"blog": "services:\n  blog:\n    image: ghost\n    ports: [\"2368:2368\"]\n",
	})
	defer os.RemoveAll(dir)

	projects, err := discover.Find(dir)
	if err != nil {
		log.Fatal(err)
	}
	var docs []*report.Document
	for _, p := range projects {
		res, err := preflight.Check(context.Background(), preflight.ProjectOptions(dir, p, preflight.Options{Static: true}))
		if err != nil {
			log.Fatal(err) // or report it and go on with the others
		}
		docs = append(docs, report.New(res, false))
		res.Close()
	}
	all := report.Merge(dir, docs)
	for _, p := range all.Projects {
		fmt.Printf("%s: services %d, published ports %d\n", filepath.Base(p.WorkingDir), p.Services, p.PublishedPorts)
	}
	fmt.Printf("together: services %d, errors %d, exit code %d\n", all.Project.Services, all.Summary.Errors, all.Summary.ExitCode)
	// Output:
	// blog: services 1, published ports 1
	// shop: services 2, published ports 2
	// together: services 3, errors 1, exit code 1
}

// Read a report compose-preflight printed: decode it into a Document.
func ExampleDocument() {
	printed := `{
  "schema": 1,
  "summary": {"errors": 1, "warnings": 0, "exit_code": 1, "static": true},
  "findings": [
    {"kind": "duplicate", "severity": "error", "service": "web", "message": "...",
     "binding": {"service": "web", "host_ip": "", "published": "8080", "target": 80, "protocol": "tcp", "replicas": 1},
     "next_free_port": 8081}
  ]
}`
	var doc report.Document
	if err := json.NewDecoder(strings.NewReader(printed)).Decode(&doc); err != nil {
		log.Fatal(err)
	}
	if doc.Schema != report.Schema {
		log.Fatalf("report schema %d: this reader knows %d", doc.Schema, report.Schema)
	}
	for _, f := range doc.Findings {
		fmt.Printf("%s: move %s %s/%s to %d\n", f.Kind, f.Service, f.Binding.Published, f.Binding.Protocol, f.NextFreePort)
	}
	// Output:
	// duplicate: move web 8080/tcp to 8081
}

// The SARIF log of a check, for a code scanning upload; the version is
// the embedding program's own.
func ExampleWriteSARIF() {
	res, done := checkShop()
	defer done()

	if err := report.WriteSARIF(os.Stdout, "v1.2.3", []*preflight.Result{res}); err != nil {
		log.Fatal(err)
	}
	// Output:
	// {
	//   "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
	//   "version": "2.1.0",
	//   "runs": [
	//     {
	//       "tool": {
	//         "driver": {
	//           "name": "compose-preflight",
	//           "version": "v1.2.3",
	//           "informationUri": "https://github.com/compose-preflight/compose-preflight",
	//           "rules": [
	//             {
	//               "id": "duplicate",
	//               "shortDescription": {
	//                 "text": "Two bindings of the project overlap: the engine refuses the second."
	//               }
	//             }
	//           ]
	//         }
	//       },
	//       "results": [
	//         {
	//           "ruleId": "duplicate",
	//           "level": "error",
	//           "message": {
	//             "text": "service \"front\" publishes 0.0.0.0:8080/tcp, which overlaps 0.0.0.0:8080/tcp of service \"admin\" at compose.yaml:7:14: the engine refuses the second (port is already allocated). Next: 8081 is the nearest free port"
	//           },
	//           "locations": [
	//             {
	//               "physicalLocation": {
	//                 "artifactLocation": {
	//                   "uri": "compose.yaml"
	//                 },
	//                 "region": {
	//                   "startLine": 4,
	//                   "startColumn": 14
	//                 }
	//               }
	//             }
	//           ]
	//         }
	//       ]
	//     }
	//   ]
	// }
}
