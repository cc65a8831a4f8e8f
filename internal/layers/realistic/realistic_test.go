package realistic

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCommittedMatchesGenerated rebuilds the snapshot from the committed
// authorization details and compares it byte for byte with the committed
// snapshot.
func TestCommittedMatchesGenerated(t *testing.T) {
	gaad, err := os.ReadFile("../testdata/gaad/cloudsplaining-example.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Snapshot(gaad)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../testdata/realistic/snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("the committed snapshot.json differs from the generated one (-committed +generated):\n%s\nrun go generate ./internal/layers/realistic and commit",
			cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")))
	}
}

func TestSnapshotRejectsBadInput(t *testing.T) {
	if _, err := Snapshot([]byte(`{"UserDetailList": 3}`)); err == nil {
		t.Error("Snapshot accepted authorization details that do not decode")
	}
}
