package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/iamdiag/iamdiag/internal/atomicfile"
	"github.com/iamdiag/iamdiag/internal/awserr"
	"github.com/iamdiag/iamdiag/internal/layers"
)

// ErrOrganizationUnreadable is wrapped when CaptureOrg cannot read the
// organization: its credentials are not the management account's or a
// delegated administrator's.
var ErrOrganizationUnreadable = errors.New("capturing the organization: the organization cannot be read with these credentials")

// OrgCaptureOptions tunes CaptureOrg. The zero value captures every
// account, 8 at a time.
type OrgCaptureOptions struct {
	// Concurrency is how many accounts are read at once (default 8); the
	// organization's policies are read as many at a time.
	Concurrency int
	// Accounts, when set, limits the capture to these account ids.
	Accounts []string
	// OUs, when set, limits the capture to the accounts under these OUs
	// (at any depth).
	OUs []string
	// Progress, when set, is called as the capture advances: stage
	// "accounts", done of total accounts captured (or recorded as
	// unreadable). It is called from one goroutine at a time.
	Progress func(stage string, done, total int)
	// Now gives the capture time (default time.Now).
	Now func() time.Time
}

// CaptureOrg captures an organization into the folder dir (created if
// needed): the tree and its SCPs and RCPs once, through org (the
// management account or a delegated administrator), then each account's
// authorization details through accounts, concurrently, each written to
// its own file as soon as it is read (memory holds Concurrency accounts at
// most). An account that cannot be read (its role cannot be assumed, a
// read is denied) is recorded in the index with its error, never fatal.
// The index, OrgIndexFile, is written last: a folder without it is an
// interrupted capture. Warnings are for people.
func CaptureOrg(ctx context.Context, org OrganizationCaptureReader, accounts Accounts, dir string, opt OrgCaptureOptions) (*layers.OrgSnapshot, []string, error) {
	if org == nil || accounts == nil {
		return nil, nil, errors.New("capturing the organization: the Organizations client and the accounts are required")
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 8
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	var pmu sync.Mutex
	progress := func(stage string, done, total int) {
		if opt.Progress != nil {
			pmu.Lock()
			opt.Progress(stage, done, total)
			pmu.Unlock()
		}
	}
	out := &layers.OrgSnapshot{Format: layers.OrgFormat, CapturedAt: opt.Now().UTC().Truncate(time.Second)}
	o, warn, err := captureOrganization(ctx, org, "", opt.Concurrency, progress)
	switch {
	case err != nil:
		return nil, nil, err
	case o == nil:
		return nil, nil, fmt.Errorf("%w: %s", ErrOrganizationUnreadable, warn)
	case o.Standalone:
		return nil, nil, errors.New("capturing the organization: the credentials' account is in no organization (AWSOrganizationsNotInUseException): capture it with iamdiag snapshot -o FILE")
	}
	var warnings []string
	if warn != "" {
		warnings = append(warnings, warn)
	}
	out.Organization = o
	ids, err := selectAccounts(o, opt.Accounts, opt.OUs)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "accounts"), 0o700); err != nil {
		return nil, nil, fmt.Errorf("capturing the organization: %w", err)
	}
	names := map[string]string{}
	for _, n := range o.Nodes {
		if n.Type == layers.NodeAccount {
			names[n.ID] = n.Name
		}
	}
	out.Accounts = make([]layers.OrgAccount, len(ids))
	sem := make(chan struct{}, opt.Concurrency)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		done  int
		fatal error
	)
	for i, id := range ids {
		out.Accounts[i] = layers.OrgAccount{ID: id, Name: names[id]}
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			a := &out.Accounts[i]
			if err := captureAccount(ctx, accounts, dir, out.CapturedAt, a); err != nil {
				mu.Lock()
				if fatal == nil {
					fatal = err
				}
				mu.Unlock()
				return
			}
			mu.Lock()
			done++
			n := done
			mu.Unlock()
			progress("accounts", n, len(ids))
		})
	}
	wg.Wait()
	if fatal != nil {
		return nil, nil, fatal
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("capturing the organization: %w", err)
	}
	for _, a := range out.Accounts {
		if a.Error != "" {
			warnings = append(warnings, "account "+a.ID+" could not be read: "+a.Error)
		}
	}
	b, err := out.MarshalIndent()
	if err != nil {
		return nil, nil, err
	}
	if err := atomicfile.Write(ctx, filepath.Join(dir, layers.OrgIndexFile), b); err != nil {
		return nil, nil, fmt.Errorf("writing the organization snapshot: %w", err)
	}
	loaded, err := layers.LoadOrg(dir)
	if err != nil {
		return nil, nil, err
	}
	return loaded, warnings, nil
}

// captureAccount reads one account into its file and fills a; a failure
// of the account alone is recorded in a, and only a cancelled capture is
// an error.
func captureAccount(ctx context.Context, accounts Accounts, dir string, at time.Time, a *layers.OrgAccount) error {
	record := func(op string, err error) error {
		if ctx.Err() != nil {
			return fmt.Errorf("capturing account %s: %w", a.ID, ctx.Err())
		}
		a.ErrorCode = awserr.Code(err)
		var ae *AssumeRoleError
		if errors.As(err, &ae) {
			a.Error = ae.Readability("the account").Message
			if a.ErrorCode == "" {
				a.ErrorCode = "AssumeRoleFailed"
			}
			return nil
		}
		a.Error = captureErr(op, err).Error()
		return nil
	}
	c, err := accounts.Clients(ctx, a.ID)
	if err != nil {
		return record("sts:AssumeRole", err)
	}
	if c.Details == nil {
		return record("iam:GetAccountAuthorizationDetails", errors.New("no client reads the account's authorization details"))
	}
	d, err := captureAuthorization(ctx, c.Details, func(string, int, int) {})
	if err != nil {
		return record("iam:GetAccountAuthorizationDetails", err)
	}
	s := &layers.Snapshot{Format: layers.Format, CapturedAt: at, AccountID: a.ID, AuthorizationDetails: d}
	b, err := s.Marshal()
	if err != nil {
		return fmt.Errorf("capturing account %s: %w", a.ID, err)
	}
	a.File = layers.AccountFile(a.ID)
	if err := atomicfile.Write(ctx, filepath.Join(dir, filepath.FromSlash(a.File)), b); err != nil {
		return fmt.Errorf("writing account %s: %w", a.ID, err)
	}
	for _, rp := range s.ResourcePolicies {
		a.Resources = append(a.Resources, rp.ARN)
	}
	return nil
}

// selectAccounts lists the organization's accounts, limited to ids and to
// the accounts under ous; an id or OU the organization lacks is an error.
func selectAccounts(o *layers.Organization, ids, ous []string) ([]string, error) {
	parent := map[string]string{}
	known := map[string]bool{}
	var all []string
	for _, n := range o.Nodes {
		parent[n.ID] = n.Parent
		known[n.ID] = true
		if n.Type == layers.NodeAccount {
			all = append(all, n.ID)
		}
	}
	for _, x := range append(slices.Clone(ids), ous...) {
		if !known[x] {
			return nil, fmt.Errorf("capturing the organization: %s is not in organization %s", x, o.ID)
		}
	}
	under := func(acct string) bool {
		if len(ous) == 0 {
			return true
		}
		for p := parent[acct]; p != ""; p = parent[p] {
			if slices.Contains(ous, p) {
				return true
			}
		}
		return false
	}
	var out []string
	for _, a := range all {
		if (len(ids) == 0 || slices.Contains(ids, a)) && under(a) {
			out = append(out, a)
		}
	}
	return out, nil
}
