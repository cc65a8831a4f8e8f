package fakeaws

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOrgListPageEncoding checks that a page encodes as the struct with the
// member field and an omitempty NextToken that Organizations' List*
// answers are: the same bytes, HTML escaping and null for no items
// included.
func TestOrgListPageEncoding(t *testing.T) {
	type rootsPage struct {
		Roots     []jRoot
		NextToken string `json:",omitempty"`
	}
	tests := []struct {
		name  string
		items []jRoot
		next  string
	}{
		{"nil items, no token", nil, ""},
		{"empty items", []jRoot{}, ""},
		{"items and a token", []jRoot{{ID: "r-ab12", Arn: "arn:aws:organizations::111122223333:root/o-abc/r-ab12", Name: "Root <&> \u2028"}}, "Um9vdHN8MQ"},
		{"token needing escapes", []jRoot{{ID: "r-1"}}, "a<b>&\"c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(rootsPage{tc.items, tc.next})
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(orgListPage[jRoot]{member: "Roots", items: tc.items, next: tc.next})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("encoding differs from the struct's (-want +got):\n%s", diff)
			}
		})
	}
}
