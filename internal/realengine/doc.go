// Package realengine holds the differential suite that proves
// compose-preflight's verdicts against a real Docker engine: each scenario
// sets up what holds ports (host sockets, containers of other projects,
// this project's own containers), runs the built tool, then
// `docker compose up -d`, and requires the tool to exit 1 exactly when up
// fails on a port. Where the tool found conflicts, --fix runs on a copy of
// the project and up must then succeed there.
//
// The engine is the one the docker CLI reaches, set up by .ci/engines
// (Debian's dockerd, a current dockerd, either proxy mode). Without one
// the tests skip; PREFLIGHT_REQUIRE_ENGINE=1 (CI) makes that a failure.
// The package has no code of its own: it is the tests.
package realengine
