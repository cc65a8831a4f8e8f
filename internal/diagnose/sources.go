package diagnose

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
		return &Gathered{Layers: l, Fix: FixOptions(snap), Warnings: unreadableWarnings(snap.Unreadable(), l)}, nil
	})
}

// maxNamed bounds how many unreadable documents a warning names.
const maxNamed = 3

// unreadableWarnings says that the snapshot holds documents that cannot be
// parsed, naming the first few, and whether this diagnosis reads any of
// them (its layers then say which, and are unknown).
func unreadableWarnings(bad []*layers.DocumentError, l *policy.Layers) []string {
	if len(bad) == 0 {
		return nil
	}
	names := make([]string, 0, maxNamed)
	for _, d := range bad[:min(len(bad), maxNamed)] {
		names = append(names, d.Error())
	}
	more := ""
	if len(bad) > maxNamed {
		more = fmt.Sprintf(" and %d more", len(bad)-maxNamed)
	}
	effect := "this diagnosis reads none of them"
	for _, r := range []policy.Readability{l.IdentityRead, l.BoundaryRead, l.SessionRead, l.SCPRead, l.RCPRead, l.ResourceRead, l.VPCEndpointRead} {
		if r.Unreadable && strings.Contains(r.Error, layers.CodeMalformed) {
			effect = "this diagnosis reads one of them: the layers that use it are unknown"
			break
		}
	}
	return []string{fmt.Sprintf("the snapshot holds %d policy document(s) that cannot be parsed, so the layers that use them are unknown (`iamdiag audit` lists them all): %s%s; %s",
		len(bad), strings.Join(names, "; "), more, effect)}
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

// Overlay answers from base with the layers f gives in place of base's: a
// "what if" on top of a real account, or the bucket policy in hand added to
// a snapshot that never captured it. Each replaced layer is named in a
// warning. The principal, organization and resource account stay base's.
func Overlay(base Gatherer, f layers.Files) Gatherer {
	return GathererFunc(func(ctx context.Context, req *policy.Request) (*Gathered, error) {
		g, err := base.Gather(ctx, req)
		if err != nil {
			return nil, err
		}
		fl, err := layers.FromFiles(f, req)
		if err != nil {
			return nil, offlineError(err)
		}
		l := *g.Layers
		var replaced []string
		if len(f.Identity) > 0 {
			l.Identity, l.IdentityRead = fl.Identity, policy.Readability{}
			replaced = append(replaced, policy.LayerIdentity.Title()+" ("+strings.Join(f.Identity, ", ")+")")
		}
		if f.Boundary != "" {
			l.Boundary, l.BoundaryRead = fl.Boundary, policy.Readability{}
			replaced = append(replaced, policy.LayerBoundary.Title()+" ("+f.Boundary+")")
		}
		if len(f.Session) > 0 {
			l.Session, l.SessionKnown, l.SessionRead = fl.Session, true, policy.Readability{}
			replaced = append(replaced, policy.LayerSession.Title()+" ("+strings.Join(f.Session, ", ")+")")
		}
		if f.Resource != "" {
			l.Resource, l.ResourceRead = fl.Resource, policy.Readability{}
			if l.ResourceAccount == "" {
				l.ResourceAccount = fl.ResourceAccount
			}
			replaced = append(replaced, policy.LayerResource.Title()+" ("+f.Resource+")")
		}
		if f.VPCEndpoint != "" {
			l.VPCEndpoint, l.VPCEndpointRead = fl.VPCEndpoint, policy.Readability{}
			replaced = append(replaced, policy.LayerVPCEndpoint.Title()+" ("+f.VPCEndpoint+")")
		}
		if len(f.SCP) > 0 {
			l.SCP, l.SCPRead = fl.SCP, policy.Readability{}
			replaced = append(replaced, policy.LayerSCP.Title()+" ("+strings.Join(f.SCP, ", ")+")")
		}
		if len(f.RCP) > 0 {
			l.RCP, l.RCPRead = fl.RCP, policy.Readability{}
			replaced = append(replaced, policy.LayerRCP.Title()+" ("+strings.Join(f.RCP, ", ")+")")
		}
		out := *g
		out.Layers = &l
		if len(replaced) > 0 {
			out.Warnings = append(append([]string(nil), g.Warnings...),
				"what if: the source's layers with these given in their place: "+strings.Join(replaced, "; "))
		}
		return &out, nil
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
	if errors.Is(err, layers.ErrUnknownTarget) {
		return &Error{Kind: Invalid, Err: err}
	}
	if errors.Is(err, layers.ErrAmbiguousPrincipal) {
		return &Error{Kind: Incomplete, Field: FieldPrincipal, Missing: []Field{FieldPrincipal}, Err: err}
	}
	return &Error{Kind: Source, Err: err}
}
