package layers

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// OrgFormat is the format of a multi-account snapshot's index.
const OrgFormat = "iamdiag-org-snapshot/v1"

// OrgIndexFile is the index file of a multi-account snapshot folder.
const OrgIndexFile = "organization.json"

// OrgSnapshot is a multi-account snapshot: a folder holding OrgIndexFile
// (the organization, captured once, and the list of accounts) and one
// iamdiag-snapshot/v1 file per account (accounts/ACCOUNT.json, without
// the organization). Accounts are loaded one at a time, on demand, so
// that memory is bounded by the largest account, not the organization.
type OrgSnapshot struct {
	// Format is always OrgFormat.
	Format string `json:"format"`
	// CapturedAt is when the capture started.
	CapturedAt time.Time `json:"captured_at,omitzero"`
	// Organization is the tree and every SCP and RCP; never nil.
	Organization *Organization `json:"organization"`
	// Accounts lists every account captured or meant to be.
	Accounts []OrgAccount `json:"accounts"`

	dir string
	// load, when set by WithLoader, reads the readable accounts for
	// Account.
	load func(id string) (*Snapshot, error)
}

// OrgAccount is one account of a multi-account snapshot.
type OrgAccount struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// File is the account's snapshot, relative to the folder; empty when
	// the account could not be read.
	File string `json:"file,omitempty"`
	// Resources are the ARNs of the resource policies the account's file
	// holds: S3 ARNs name no account, so a bucket is found here.
	Resources []string `json:"resources,omitempty"`
	// Error and ErrorCode say why the account could not be read (its role
	// could not be assumed, iam:GetAccountAuthorizationDetails was denied
	// …); its layers are then unknown.
	Error     string `json:"error,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
}

// AccountFile is where an account's snapshot goes in the folder.
func AccountFile(id string) string { return filepath.ToSlash(filepath.Join("accounts", id+".json")) }

// IsOrgSnapshot reports whether path is a multi-account snapshot: a folder
// holding OrgIndexFile, or that file itself.
func IsOrgSnapshot(path string) bool {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		_, err := os.Stat(filepath.Join(path, OrgIndexFile))
		return err == nil
	}
	return filepath.Base(path) == OrgIndexFile
}

// LoadOrg reads a multi-account snapshot's index (path is the folder or
// its OrgIndexFile); the accounts are read by Account.
func LoadOrg(path string) (*OrgSnapshot, error) {
	dir, file := path, filepath.Join(path, OrgIndexFile)
	if filepath.Base(path) == OrgIndexFile {
		dir, file = filepath.Dir(path), path
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("opening the organization snapshot: %w", err)
	}
	var o OrgSnapshot
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("loading the organization snapshot %s: %w", file, err)
	}
	if o.Format != OrgFormat {
		return nil, fmt.Errorf("loading the organization snapshot %s: %w: format %q, want %q", file, errInvalid, o.Format, OrgFormat)
	}
	if o.Organization == nil || o.Organization.Standalone {
		return nil, fmt.Errorf("loading the organization snapshot %s: %w: it holds no organization", file, errInvalid)
	}
	for _, a := range o.Accounts {
		if !policy.IsAccountID(a.ID) {
			return nil, fmt.Errorf("loading the organization snapshot %s: %w: account id %q is not a 12-digit account id", file, errInvalid, a.ID)
		}
		if a.File != "" && (filepath.IsAbs(a.File) || strings.Contains(a.File, "..")) {
			return nil, fmt.Errorf("loading the organization snapshot %s: %w: account %s's file %q is outside the folder", file, errInvalid, a.ID, a.File)
		}
	}
	o.dir = dir
	return &o, nil
}

// ErrAccountUnreadable is wrapped when an account of a multi-account
// snapshot was recorded as unreadable.
var ErrAccountUnreadable = errors.New("the account could not be read when the snapshot was captured")

// ErrAccountNotInSnapshot is wrapped when an account is not in a
// multi-account snapshot.
var ErrAccountNotInSnapshot = errors.New("the account is not in the organization snapshot")

// Entry returns the index entry of account id; nil when absent.
func (o *OrgSnapshot) Entry(id string) *OrgAccount {
	for i := range o.Accounts {
		if o.Accounts[i].ID == id {
			return &o.Accounts[i]
		}
	}
	return nil
}

// Account loads one account's snapshot, with the organization, indexed.
// An account recorded as unreadable is an error wrapping
// ErrAccountUnreadable, one absent from the index ErrAccountNotInSnapshot.
// A readable account is read through the loader of WithLoader, if any.
func (o *OrgSnapshot) Account(id string) (*Snapshot, error) {
	if o.load != nil {
		if a := o.Entry(id); a != nil && a.File != "" {
			return o.load(id)
		}
	}
	return o.ReadAccount(id)
}

// WithLoader returns a copy of o whose Account reads the readable accounts
// through load (a cache in front of ReadAccount, say); the copy shares the
// index with o.
func (o *OrgSnapshot) WithLoader(load func(id string) (*Snapshot, error)) *OrgSnapshot {
	c := *o
	c.load = load
	return &c
}

// AccountPath returns the path of account id's file; "" when the index
// holds no file for it.
func (o *OrgSnapshot) AccountPath(id string) string {
	a := o.Entry(id)
	if a == nil || a.File == "" {
		return ""
	}
	return filepath.Join(o.dir, filepath.FromSlash(a.File))
}

// ReadAccount is Account reading the file every time, whatever the loader.
func (o *OrgSnapshot) ReadAccount(id string) (*Snapshot, error) {
	a := o.Entry(id)
	switch {
	case a == nil:
		return nil, fmt.Errorf("%w: %s", ErrAccountNotInSnapshot, id)
	case a.File == "":
		return nil, fmt.Errorf("%w: account %s: %s", ErrAccountUnreadable, id, a.Error)
	}
	s, err := LoadFile(filepath.Join(o.dir, filepath.FromSlash(a.File)))
	if err != nil {
		return nil, err
	}
	if s.AccountID != id {
		return nil, fmt.Errorf("loading account %s: %w: its file holds account %q", id, errInvalid, s.AccountID)
	}
	s.Organization = o.Organization
	if err := s.Index(); err != nil {
		return nil, fmt.Errorf("loading account %s: %w", id, err)
	}
	return s, nil
}

// BucketAccount returns the account whose snapshot holds the policy of the
// bucket of an S3 ARN; "" when none does.
func (o *OrgSnapshot) BucketAccount(s3ARN string) string {
	a, ok := policy.ParseARN(s3ARN)
	if !ok || a.Service != "s3" {
		return ""
	}
	bucket, _, _ := strings.Cut(a.Resource, "/")
	want := "arn:" + a.Partition + ":s3:::" + bucket
	for _, acc := range o.Accounts {
		for _, r := range acc.Resources {
			if r == want {
				return acc.ID
			}
		}
	}
	return ""
}

// MarshalIndent returns the index as indented JSON.
func (o *OrgSnapshot) MarshalIndent() ([]byte, error) {
	o.Format = OrgFormat
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the organization snapshot: %w", err)
	}
	return append(b, '\n'), nil
}
