package diagnose

import (
	"context"
	"errors"

	"github.com/iamdiag/iamdiag/internal/fix"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// Snapshot is the offline source of a loaded snapshot: its layers, and the
// facts the fixes need (who else uses a policy, where an SCP is attached).
func Snapshot(snap *layers.Snapshot) Gatherer {
	return GathererFunc(func(_ context.Context, req *policy.Request) (*Gathered, error) {
		l, err := snap.Layers(req)
		if err != nil {
			return nil, offlineError(err)
		}
		return &Gathered{Layers: l, Fix: FixOptions(snap)}, nil
	})
}

// FixOptions are the facts of snap the fix suggestions use.
func FixOptions(snap *layers.Snapshot) fix.Options {
	return fix.Options{PolicyUsers: snap.PolicyUsers, BoundaryUsers: snap.BoundaryUsers, PolicyTargets: snap.PolicyTargets}
}

// Files is the offline source of policy files, each read when a request
// is gathered.
func Files(f layers.Files) Gatherer {
	return GathererFunc(func(_ context.Context, req *policy.Request) (*Gathered, error) {
		l, err := layers.FromFiles(f, req)
		if err != nil {
			return nil, offlineError(err)
		}
		return &Gathered{Layers: l}, nil
	})
}

// Fallback answers from first, and from then when first does not know the
// principal: a snapshot with the live account behind it.
func Fallback(first, then Gatherer) Gatherer {
	return GathererFunc(func(ctx context.Context, req *policy.Request) (*Gathered, error) {
		g, err := first.Gather(ctx, req)
		var e *Error
		if errors.Is(err, layers.ErrPrincipalNotFound) || (errors.As(err, &e) && e.Kind == PrincipalNotFound) {
			return then.Gather(ctx, req)
		}
		return g, err
	})
}

// offlineError classifies an error of a snapshot or of policy files: the
// principal is not in the snapshot, or the source cannot answer for the
// request (a principal form it cannot resolve, a file it cannot read).
func offlineError(err error) error {
	if errors.Is(err, layers.ErrPrincipalNotFound) {
		return &Error{Kind: PrincipalNotFound, Err: err}
	}
	return &Error{Kind: Source, Err: err}
}
