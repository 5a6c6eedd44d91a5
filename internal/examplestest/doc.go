// Package examplestest keeps the examples honest: it runs the Makefile
// with real make, the pre-commit hooks with the real pre-commit tool, parses
// the CI snippets, and checks that every snippet in the README is
// byte-identical to the example file it shows. It has no code of its own.
package examplestest
