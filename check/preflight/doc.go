// Package preflight checks a docker compose project before it starts,
// and moves the ports that conflict: the whole of compose-preflight
// behind a small API, for Go tools that embed the check (dev-environment
// tools, editors) and for the compose-preflight command itself, which
// only parses flags, calls it and renders the result.
//
// [Check] loads the project exactly as docker compose would (package
// compose), lists this host's sockets on the ports it publishes and asks
// the Docker engine which containers hold ports (package check/sockets,
// check/engine), and finds the conflicts (package check): a port already
// held (in-use), shared with a program on another address so that one
// of them silently gets the other's traffic (shadowed), published twice
// (duplicate), and the warnings around them. With [Options.Static] only
// the files are checked, as in CI, where the host is not the one the
// project runs on.
//
// The [Result] holds the findings, each located at the place in the files
// that defines its port ([Result.Location]) and explained in one line
// ([Result.Message]) with what to do next ([Result.NextStep]). It also
// holds the plan of a fix, made once: each conflicting port moved to the
// nearest free one ([Result.Moves]), which is what the next steps name and
// what [Result.Fix] writes, in the file or env file variable that defines
// the port and nowhere else, byte for byte. A fix is verified by loading
// the project again; a dry run verifies it on a mirror of the files and
// writes nothing.
//
// [ProjectOptions] checks each of the projects that package
// compose/discover finds below a folder (compose-preflight --recursive,
// the git hook) as docker compose run in that project's folder would load
// it.
//
// Package check/preflight/report makes results into what the command
// prints for other programs: the JSON report (schema 1), the SARIF log
// and GitHub annotations, for one project or several.
//
// Errors say what failed in one line, with the file and line when the
// project does not load. A [*FixError] means the project was checked but a
// fix could not be written (nothing was left changed); any other error is
// about the input.
package preflight
