// Package diagnose is the one diagnosis pipeline every front end calls (the
// CLI's diagnose, the daemon's HTTP API and its Slack command): read the
// input into a request (internal/decode), complete it with the explicit
// principal, action, resource and context, gather the policy layers from a
// source, evaluate them (internal/simulate), ask AWS's simulator for its
// verdict where the source can, and return the diagnosis a report renders.
//
// Its input and its errors are transport-neutral: an Input names no flag and
// no JSON field, and an *Error says which input was at fault as a Field,
// which each front end names in its own words (a CLI flag, an API field, a
// Slack phrase) and maps to its own code (exit status, HTTP status).
//
// It imports no AWS SDK: the live AWS source (internal/live) implements
// Gatherer and CrossChecker outside it.
package diagnose

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/authrecord"
	"github.com/iamdiag/iamdiag/internal/decode"
	"github.com/iamdiag/iamdiag/internal/fix"
	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/report"
	"github.com/iamdiag/iamdiag/internal/simulate"
)

// Input is one question, as any front end received it. At most one message
// (EncodedMessage, DecodedMessage, ErrorText, CloudTrail) is given;
// Principal, Action, Resource and Context complete or override what it
// says, or are the whole question.
type Input struct {
	// Principal is the caller's ARN.
	Principal string
	// Action is SERVICE:ACTION.
	Action string
	// Resource is the resource's ARN; empty means "*", with a warning.
	Resource string
	// Context holds KEY=VALUE request context values; a key given more
	// than once is multi-valued.
	Context []string
	// EncodedMessage is an encoded authorization failure message, decoded
	// with sts:DecodeAuthorizationMessage through Sources.Decoder.
	EncodedMessage string
	// DecodedMessage is what `aws sts decode-authorization-message`
	// printed, or the decoded JSON itself.
	DecodedMessage []byte
	// ErrorText is the error exactly as a CLI, an SDK or the console
	// printed it.
	ErrorText string
	// CloudTrail is a CloudTrail record, log file or EventBridge event.
	CloudTrail []byte
	// AuthorizationID is the ID of AWS's record of the denial
	// (GetRequestAuthorizationDetails); it wins over the one a message
	// carries, and alone is a whole question.
	AuthorizationID string
	// AuthorizationRecord is a record saved with its documents
	// (authrecord.Record): diagnosed without AWS.
	AuthorizationRecord []byte
}

// Field names one part of an Input, for errors; each front end names it in
// its own words.
type Field int

// The fields of an Input.
const (
	FieldNone Field = iota
	FieldPrincipal
	FieldAction
	FieldResource
	FieldContext
	FieldEncodedMessage
	FieldDecodedMessage
	FieldErrorText
	FieldCloudTrail
	FieldAuthorizationID
	FieldAuthorizationRecord
)

// String names the field in words any front end's user understands.
func (f Field) String() string {
	switch f {
	case FieldPrincipal:
		return "the caller's ARN"
	case FieldAction:
		return "the action"
	case FieldResource:
		return "the resource's ARN"
	case FieldContext:
		return "the request context"
	case FieldEncodedMessage:
		return "the encoded authorization message"
	case FieldDecodedMessage:
		return "the decoded authorization message"
	case FieldErrorText:
		return "the error text"
	case FieldCloudTrail:
		return "the CloudTrail event"
	case FieldAuthorizationID:
		return "the authorization ID"
	case FieldAuthorizationRecord:
		return "the authorization record"
	}
	return "the input"
}

// messages returns the message fields the input gives.
func (in *Input) messages() []Field {
	var given []Field
	if strings.TrimSpace(in.EncodedMessage) != "" {
		given = append(given, FieldEncodedMessage)
	}
	if in.DecodedMessage != nil {
		given = append(given, FieldDecodedMessage)
	}
	if in.ErrorText != "" {
		given = append(given, FieldErrorText)
	}
	if in.CloudTrail != nil {
		given = append(given, FieldCloudTrail)
	}
	if in.AuthorizationRecord != nil {
		given = append(given, FieldAuthorizationRecord)
	}
	return given
}

// Gatherer reads the policy layers that apply to a request from a source:
// a snapshot, policy files, the live account.
type Gatherer interface {
	Gather(ctx context.Context, req *policy.Request) (*Gathered, error)
}

// Gathered is what a source answered for one request.
type Gathered struct {
	// Layers are the request's policy layers; never nil.
	Layers *policy.Layers
	// Warnings are the source's remarks for the diagnosis (credentials
	// of another account than the caller's, …).
	Warnings []string
	// Fix holds what the fix suggestions need that only the source knows
	// (which principals share a policy, where an SCP is attached).
	Fix fix.Options
	// CrossCheck, when set, asks AWS's own simulator for its verdict on
	// the request: the live source sets it, offline sources do not.
	CrossCheck CrossChecker
}

// CrossChecker asks AWS's policy simulator for its verdict beside the local
// one. It never fails: a simulator that cannot be asked gives a skipped
// cross-check that says why.
type CrossChecker interface {
	CrossCheck(ctx context.Context, d *report.Diagnosis, l *policy.Layers) *report.CrossCheck
}

// GathererFunc adapts a function to Gatherer.
type GathererFunc func(ctx context.Context, req *policy.Request) (*Gathered, error)

// Gather calls f.
func (f GathererFunc) Gather(ctx context.Context, req *policy.Request) (*Gathered, error) {
	return f(ctx, req)
}

// Sources are where a diagnosis reads what the input does not say.
type Sources struct {
	// Layers gathers the policy layers; required.
	Layers Gatherer
	// Decoder decodes an encoded authorization message
	// (sts:DecodeAuthorizationMessage); nil when none can be decoded.
	Decoder decode.Decoder
	// Records fetches AWS's record of a denial when the input carries
	// its authorization ID; nil when none can be fetched.
	Records RecordFetcher
	// Current, when set, is the account's policies now: a diagnosis made
	// from AWS's record says which of the policies AWS evaluated have
	// changed since, and diagnoses the request against them too. Nil
	// compares nothing.
	Current Gatherer
	// ResourceAccount and ManagementAccount, when set, override what the
	// source says: the account owning the resource and the organization's
	// management account.
	ResourceAccount, ManagementAccount string
	// S3PublicAccess, when set, is the S3 Block Public Access in force for
	// the request's bucket (layers.ReadPublicAccessBlock reads it), over
	// what the source says.
	S3PublicAccess *policy.PublicAccessBlock
	// Log receives the pipeline's progress at info level; nil logs
	// nothing.
	Log *zap.Logger
}

// Run answers one question: the request the input describes, its layers
// from the source, the evaluation, and AWS's simulator's verdict where the
// source can ask it. Errors are *Error, or the context's error when ctx
// ends first.
func Run(ctx context.Context, in Input, src Sources) (*report.Diagnosis, error) {
	log := src.Log
	if log == nil {
		log = zap.NewNop()
	}
	dec, err := Decode(ctx, in, src)
	if err != nil {
		return nil, err
	}
	// AWS's record of the request, when the input carries its ID, is the
	// source: the layers and the context as AWS evaluated them.
	layersSrc := src.Layers
	rec, recNote := record(ctx, in, dec, src)
	var ev *authrecord.Evaluated
	if rec != nil {
		if ev, err = rec.Evaluate(dec.Principal, dec.Action); err != nil {
			rec, recNote = nil, "AWS's record of authorization ID "+rec.AuthorizationID+" cannot be used: "+err.Error()+fallbackThen
		}
	}
	var (
		req      *policy.Request
		warnings []string
	)
	if rec != nil {
		req, layersSrc = ev.Request, Record(ev)
		log.Info("AWS's record read", zap.String("authorization_id", rec.AuthorizationID), zap.Int("policies", len(rec.Policies)))
	} else {
		if recNote != "" {
			log.Info("AWS's record not used", zap.String("why", recNote))
		}
		if req, warnings, err = evaluationRequest(dec); err != nil {
			if recNote != "" && dec.Source == SourceAuthorizationID {
				// The ID was the whole question: nothing is left to walk.
				return nil, &Error{Kind: Source, Field: FieldAuthorizationID, Err: errors.New(strings.TrimSuffix(recNote, fallbackThen) +
					"; give the error text, or the principal and the action, to diagnose from the current policies")}
			}
			return nil, err
		}
		if recNote != "" {
			warnings = append([]string{recNote}, warnings...)
		}
	}
	checked, caveat, err := checkAction(req.Action, req.Resource, in.Action != "")
	if err != nil {
		return nil, err
	}
	warnings = append(checked, warnings...)
	if layersSrc == nil {
		return nil, &Error{Kind: Source, Err: errors.New("no source of policy layers was configured")}
	}
	g, err := layersSrc.Gather(ctx, req)
	if err != nil {
		return nil, sourceError(err)
	}
	l := g.Layers
	if src.ResourceAccount != "" {
		l.ResourceAccount = src.ResourceAccount
	}
	if src.ManagementAccount != "" {
		l.ManagementAccount = src.ManagementAccount
	}
	if src.S3PublicAccess != nil {
		l.S3PublicAccess = src.S3PublicAccess
	}
	log.Info("layers gathered", zap.Int("identity_policies", len(l.Identity)), zap.Bool("scp_readable", !l.SCPRead.Unreadable))

	res := simulate.Evaluate(req, l, simulate.Options{})
	log.Info("evaluated", zap.String("decision", res.Decision.String()), zap.Int("blockers", len(res.Blockers)))

	d := &report.Diagnosis{Result: res, Input: req, Warnings: append(warnings, g.Warnings...), Fix: g.Fix}
	// An action the catalog does not know: the first line says so (the
	// warning says why and suggests).
	d.InputCaveat = caveat
	d.Hint = &report.Hint{Source: dec.Source}
	if h := dec.Hint; h != nil {
		d.Hint.Layer, d.Hint.Kind, d.Hint.PolicyARN = h.Layer, hintKind(h.Kind), h.PolicyARN
	}
	followHint(d)
	if g.CrossCheck != nil {
		d.CrossCheck = g.CrossCheck.CrossCheck(ctx, d, l)
	}
	if rec != nil {
		d.Record = recordCheck(rec, ev, res)
		if src.Current != nil {
			d.Record.Current = currentCheck(ctx, src.Current, req, l, src)
		}
	}
	return d, nil
}

// followHint treats the layer AWS named as evidence when the source does
// not reproduce it: the call was denied, so a local "allowed" is
// inconclusive, and AWS's layer is the first suspect, which the fix
// follows.
func followHint(d *report.Diagnosis) {
	if !d.Disagrees() {
		return
	}
	r := d.Result
	layer := policy.Layer(d.Hint.Layer)
	switch r.Decision {
	case simulate.Allowed:
		if r.Exception != nil {
			return
		}
		r.Decision = simulate.Inconclusive
	case simulate.Inconclusive:
	default:
		return
	}
	suspects := []policy.Layer{layer}
	for _, s := range r.Suspects {
		if s != layer {
			suspects = append(suspects, s)
		}
	}
	r.Suspects = suspects
}

// Decode reads the input into the request it describes, completed by the
// explicit principal, action, resource and context, without evaluating:
// the first step of Run, and what `iamdiag decode` prints.
func Decode(ctx context.Context, in Input, src Sources) (*decode.Request, error) {
	log := src.Log
	if log == nil {
		log = zap.NewNop()
	}
	if p := strings.TrimSpace(in.Principal); p != "" {
		// A caller typed in a form no source resolves is the question's
		// fault, not the source's.
		if _, err := layers.ParseCaller(p); err != nil {
			return nil, &Error{Kind: Invalid, Field: FieldPrincipal, Err: err}
		}
	}
	msgs := in.messages()
	switch {
	case len(msgs) > 1:
		names := make([]string, len(msgs))
		for i, f := range msgs {
			names[i] = f.String()
		}
		return nil, &Error{Kind: Invalid, Field: msgs[1], Err: fmt.Errorf("give one input, not %s", strings.Join(names, " and "))}
	case len(msgs) == 0 && in.AuthorizationID != "" && in.Principal == "" && in.Action == "":
		// The ID alone: AWS's record says the rest.
		return &decode.Request{Source: SourceAuthorizationID, AuthorizationID: in.AuthorizationID, Context: contextOf(in.Context)}, nil
	case len(msgs) == 0:
		req, err := decode.FromFlags(in.Principal, in.Action, in.Resource, in.Context)
		if err != nil {
			return nil, &Error{Kind: Invalid, Err: err}
		}
		req.AuthorizationID = in.AuthorizationID
		return req, nil
	}
	var (
		req *decode.Request
		err error
	)
	field := msgs[0]
	switch field {
	case FieldEncodedMessage:
		if src.Decoder == nil {
			return nil, &Error{Kind: STS, Field: field, Err: fmt.Errorf("%w: no AWS credentials are configured to call sts:DecodeAuthorizationMessage; decode the message where the request was denied and give the decoded message instead", decode.ErrSTS)}
		}
		req, err = decode.FromEncoded(ctx, src.Decoder, strings.TrimSpace(in.EncodedMessage))
	case FieldDecodedMessage:
		req, err = decode.FromDecodedMessage(in.DecodedMessage)
	case FieldErrorText:
		req, err = decode.FromErrorText(in.ErrorText)
	case FieldAuthorizationRecord:
		req, err = fromRecordFile(in.AuthorizationRecord)
	default:
		req, err = decode.FromCloudTrail(in.CloudTrail)
	}
	if err != nil {
		if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			return nil, err
		}
		kind := NotUnderstood
		if errors.Is(err, decode.ErrSTS) {
			kind = STS
		}
		return nil, &Error{Kind: kind, Field: field, Err: err}
	}
	log.Info("input decoded", zap.String("source", req.Source), zap.String("action", req.Action))
	if in.AuthorizationID != "" && in.AuthorizationID != req.AuthorizationID {
		req.AuthorizationID, req.AuthorizationRegion = in.AuthorizationID, ""
	}
	operationAction(req)
	if req, err = encodedOnly(ctx, req, src); err != nil {
		return nil, err
	}
	return complete(req, in)
}

// complete applies the explicit principal, action, resource and context on
// top of what a message said: an explicit value fills what the message
// lacks and wins where both say something.
func complete(req *decode.Request, in Input) (*decode.Request, error) {
	if in.Principal == "" && in.Action == "" && in.Resource == "" && len(in.Context) == 0 {
		return req, nil
	}
	extra, err := decode.FromFlags(or(in.Principal, req.Principal), or(in.Action, req.Action), or(in.Resource, req.Resource), in.Context)
	if err != nil {
		return nil, &Error{Kind: Invalid, Err: err}
	}
	if in.Principal != "" && in.Principal != req.Principal {
		// The message's role and account belonged to its principal.
		req.RoleARN, req.Account = "", ""
	}
	req.Principal, req.Action, req.Resource = extra.Principal, extra.Action, extra.Resource
	if extra.Context != nil && extra.Context.Len() > 0 {
		if req.Context == nil {
			req.Context = &policy.Context{}
		}
		for _, k := range extra.Context.Keys() {
			v, _ := extra.Context.Get(k)
			req.Context.Set(k, v...)
		}
	}
	return req, nil
}

// evaluationRequest turns a decoded input into the request to evaluate, with
// warnings for what the input left out. It fails when the input lacks what
// an evaluation cannot do without.
func evaluationRequest(in *decode.Request) (*policy.Request, []string, error) {
	var missing []Field
	if in.Principal == "" {
		missing = append(missing, FieldPrincipal)
	}
	if in.Action == "" {
		missing = append(missing, FieldAction)
	}
	if len(missing) > 0 {
		if err := unevaluable(in, missing); err != nil {
			return nil, nil, err
		}
		return nil, nil, &Error{Kind: Incomplete, Missing: missing}
	}
	var warnings []string
	resource := in.Resource
	if w := nonARNResource(in); w != "" {
		warnings = append(warnings, w)
		resource = "*"
	}
	if resource == "" {
		resource = "*"
		warnings = append(warnings, `the input names no resource: evaluated against "*"; give the resource's ARN for an exact answer`)
	}
	if in.EncodedMessage != "" && in.Source != decode.SourceEncodedMessage {
		warnings = append(warnings, "the error carries an encoded authorization message with the full request context: decode it (give the encoded message to iamdiag, or run aws sts decode-authorization-message) for an exact answer")
	}
	req := policy.NewRequest(in.Principal, in.Action, resource)
	req.ResourceUnknown = in.Resource == ""
	req.Principal.IAMARN = in.RoleARN
	req.Principal.Account = in.Account
	if in.Context != nil {
		req.Context = in.Context.Clone()
	}
	return req, warnings, nil
}

// sourceError classifies an error of gathering the layers: a source says
// what its errors mean by returning *Error (the offline sources of this
// package and internal/live do); a principal the snapshot lacks is
// PrincipalNotFound; anything else is an unexpected failure, returned as
// it is, which a front end reports without its details.
func sourceError(err error) error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return err
	case errors.Is(err, layers.ErrPrincipalNotFound), errors.Is(err, layers.ErrAmbiguousPrincipal):
		return offlineError(err)
	}
	return err
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// hintKind maps the decoder's hint kind onto the evaluation's blocker kind;
// zero, "not said", for any other.
func hintKind(kind string) simulate.BlockerKind {
	switch kind {
	case decode.KindExplicitDeny:
		return simulate.BlockerExplicitDeny
	case decode.KindImplicitDeny:
		return simulate.BlockerImplicitDeny
	}
	return 0
}

// contextOf reads KEY=VALUE context values; a malformed one is left out
// (the front ends check them).
func contextOf(kvs []string) *policy.Context {
	if len(kvs) == 0 {
		return nil
	}
	c := &policy.Context{}
	for _, kv := range kvs {
		if k, v, ok := strings.Cut(kv, "="); ok {
			old, _ := c.Get(k)
			c.Set(k, append(old, v)...)
		}
	}
	return c
}
