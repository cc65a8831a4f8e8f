package main

import (
	"errors"
	"fmt"
)

// Exit statuses: the CLI contract of ARCHITECTURE.md.
const (
	// exitOK: a diagnosis was produced, whatever it found.
	exitOK = 0
	// exitFailure: the diagnosis could not be produced.
	exitFailure = 1
	// exitUsage: the command line was wrong.
	exitUsage = 2
)

// exitError carries the exit status of a failed command to main. Only run
// unpacks it; everything below returns ordinary wrapped errors.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf returns a usage error (exit status 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// exitCode returns the exit status for err: exitFailure unless err carries
// another.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitFailure
}
