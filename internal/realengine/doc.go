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
//
// Podman (rootful and rootless, .ci/engines podman-start) is judged the
// same way, with docker compose on its socket: PREFLIGHT_REQUIRE_PODMAN=1
// fails instead of skipping. The Swarm scenarios compare --stack with
// `docker stack deploy` on a single-node swarm the test makes of the
// Docker engine; they change the engine's state, so they run only with
// PREFLIGHT_SWARM=1 or PREFLIGHT_REQUIRE_SWARM=1.
// The package has no code of its own: it is the tests.
package realengine
