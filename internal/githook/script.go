package githook

import (
	"fmt"
	"path/filepath"
	"strings"
)

// marker identifies a hook written by Install, in any version, so that
// Install and Uninstall never mistake somebody else's hook for ours.
const marker = "# compose-preflight: managed pre-commit hook"

// triggerGlobs are the file names (any folder) whose staging makes the hook
// run a check: every YAML file, since a compose file may include or extend
// one of any name, and env files, which set the variables ports are often
// interpolated from. compose-preflight then decides which projects the
// commit touches, and passes over the files that belong to none. A
// service's env_file of another name (app.conf) does not trigger the hook
// on its own. The pre-commit framework's files regex in
// .pre-commit-hooks.yaml matches the same names.
func triggerGlobs() []string {
	return []string{"*.yml", "*.yaml", "*.env", ".env*"}
}

func isOurs(content []byte) bool {
	return strings.Contains(string(content), marker)
}

// hookScript renders the pre-commit hook for command (see Install).
func hookScript(command []string) ([]byte, error) {
	if len(command) == 0 {
		command = []string{"compose-preflight"}
	}
	prog := command[0]
	absolute := filepath.IsAbs(prog)
	switch {
	case prog == "":
		return nil, fmt.Errorf("hook command: empty program name")
	case !absolute && strings.ContainsAny(prog, `/\`):
		return nil, fmt.Errorf("hook command %q: use an absolute path or a name found in PATH; "+
			"a relative path would run a program from the repository", prog)
	case strings.ContainsAny(strings.Join(command, ""), "\x00\n\r"):
		return nil, fmt.Errorf("hook command %q: newline or NUL in an argument", command)
	}
	// The hook runs under sh, which on Windows (Git for Windows) takes
	// C:/x/y.exe but not always C:\x\y.exe.
	prog = filepath.ToSlash(prog)
	args := make([]string, 0, len(command)+1)
	for _, a := range command[1:] {
		args = append(args, shellQuote(a))
	}
	args = append(args, "hook", "run")

	var find string
	if absolute {
		find = fmt.Sprintf(`preflight=%s
if [ ! -x "$preflight" ]; then
	if command -v compose-preflight >/dev/null 2>&1; then
		echo "compose-preflight hook: $preflight is gone; using compose-preflight from PATH" >&2
		preflight=compose-preflight
	else
		echo "compose-preflight hook: $preflight is gone and compose-preflight is not in PATH." >&2
		echo "Install it again and run 'compose-preflight hook install', or commit with --no-verify." >&2
		exit 1
	fi
fi`, shellQuote(prog))
	} else {
		find = fmt.Sprintf(`preflight=%s
if ! command -v "$preflight" >/dev/null 2>&1; then
	echo "compose-preflight hook: $preflight is not in PATH." >&2
	echo "Install it, or remove this hook with 'compose-preflight hook uninstall', or commit with --no-verify." >&2
	exit 1
fi`, shellQuote(prog))
	}

	globs := triggerGlobs()
	script := fmt.Sprintf(`#!/bin/sh
%s
#
# Written by 'compose-preflight hook install'. 'compose-preflight hook
# uninstall' removes it and puts back the hook it replaced. Skip it for one
# commit with 'git commit --no-verify'.
#
# When the commit adds, changes or deletes a file named (in any folder):
#   %s
# it checks the published ports of the docker compose projects the commit
# touches, as they are about to be committed. It runs the compose-preflight
# program that installed it, never a program from this repository.

# The pre-commit hook that was here before, run first with the same
# arguments and input; its failure stops the commit.
chained="$(dirname -- "$0")/%s"
if [ -x "$chained" ]; then
	"$chained" "$@" || exit $?
fi

# Fast path: leave at once when no YAML or env file is staged.
staged=$(git -c core.quotepath=false diff --cached --name-only --no-renames) || exit $?
set -f
found=
old_ifs=$IFS
IFS='
'
for name in $staged; do
	case ${name##*/} in
	%s) found=1; break ;;
	esac
done
IFS=$old_ifs
set +f
[ -n "$found" ] || exit 0

%s
exec "$preflight" %s
`, marker, strings.Join(globs, " "), chainedName, strings.Join(globs, " | "), find, strings.Join(args, " "))
	return []byte(script), nil
}

// shellQuote quotes s for POSIX sh: single quotes keep everything literal,
// and a single quote itself is closed, escaped and reopened.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
