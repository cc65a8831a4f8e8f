package fakeaws

import (
	"fmt"
	"os"
	"testing"
)

// TestMain runs the tests cut off the machine's AWS setup (IsolateEnv): the
// tests reach only the fake on 127.0.0.1.
func TestMain(m *testing.M) {
	os.Exit(isolated(m))
}

func isolated(m *testing.M) int {
	cleanup, err := IsolateEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	return m.Run()
}
