package compose

import "strings"

// LookupEnv reads key from environ, an environment list as
// Options.Environ holds it ("KEY=value"): the last definition wins, as in
// the process environment.
func LookupEnv(environ []string, key string) (string, bool) {
	for i := len(environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
