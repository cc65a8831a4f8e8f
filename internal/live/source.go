package live

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/awserr"
	"github.com/iamdiag/iamdiag/internal/crosscheck"
	"github.com/iamdiag/iamdiag/internal/diagnose"
	"github.com/iamdiag/iamdiag/internal/policy"
	"github.com/iamdiag/iamdiag/internal/report"
)

// STSAPI is what the live source calls on STS: the caller's identity (which
// needs no permission) and the decoding of encoded authorization messages;
// *sts.Client implements it.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	DecodeAuthorizationMessage(ctx context.Context, in *sts.DecodeAuthorizationMessageInput, optFns ...func(*sts.Options)) (*sts.DecodeAuthorizationMessageOutput, error)
}

// SourceClients are the AWS clients of the live source.
type SourceClients struct {
	Clients
	// STS identifies the credentials and decodes encoded messages.
	STS STSAPI
	// Simulator is iam:SimulatePrincipalPolicy, for the cross-check; nil
	// skips it.
	Simulator crosscheck.SimulatePrincipalPolicyAPI
}

// ErrNoCredentials is wrapped when the SDK's credential chain yields no
// credentials.
var ErrNoCredentials = errors.New("the AWS SDK found no credentials")

// CredentialsProblem reports whether err means there are no usable
// credentials: none found or not refreshable (the signer could not get
// them), or AWS rejected them.
func CredentialsProblem(err error) bool {
	var se *v4.SigningError
	return errors.As(err, &se) || errors.Is(err, ErrNoCredentials) || errors.Is(err, ErrCredentials) || awserr.IsCredential(awserr.Code(err))
}

// Source is the live AWS account as a diagnosis source: the layers read
// through a Reader, encoded messages decoded with STS, and the verdict
// cross-checked with iam:SimulatePrincipalPolicy. It is safe for concurrent
// use; its Usage counts every diagnosis made through it.
type Source struct {
	reader *Reader
	c      SourceClients
	log    *zap.Logger
	// OnStats, when set, receives the statistics of every layers read,
	// with the context of the diagnosis.
	OnStats func(ctx context.Context, st *Stats)

	// account is the credentials' account, from sts:GetCallerIdentity;
	// "" when STS did not say.
	account string

	mu    sync.Mutex
	usage Usage
}

// Usage is what the AWS calls of a Source cost.
type Usage struct {
	// IdentityTime is the time of the caller-identity call at start.
	IdentityTime time.Duration
	// DecodeCalls and DecodeTime count sts:DecodeAuthorizationMessage.
	DecodeCalls int
	DecodeTime  time.Duration
	// Layers are the statistics of the last layers read; nil before one.
	Layers *Stats
	// CrossCalls and CrossTime count iam:SimulatePrincipalPolicy.
	CrossCalls int
	CrossTime  time.Duration
}

// NewSource checks the credentials with sts:GetCallerIdentity (which needs
// no permission and says their account, the one IAM reads roles and users
// in: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html)
// and returns the source. Missing or rejected credentials are an error of
// kind diagnose.Credentials; STS being unreachable leaves the account
// unknown, logged.
func NewSource(ctx context.Context, c SourceClients, opt Options, log *zap.Logger) (*Source, error) {
	if log == nil {
		log = zap.NewNop()
	}
	s := &Source{c: c, log: log}
	start := time.Now()
	id, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	s.usage.IdentityTime = time.Since(start)
	switch {
	case err == nil:
		s.account = aws.ToString(id.Account)
		log.Info("caller identity", zap.String("account", s.account))
		log.Debug("caller identity", zap.String("arn", aws.ToString(id.Arn)))
	case CredentialsProblem(err):
		return nil, &diagnose.Error{Kind: diagnose.Credentials, Err: fmt.Errorf("checking the credentials with sts:GetCallerIdentity: %w", err)}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return nil, fmt.Errorf("checking the credentials with sts:GetCallerIdentity: %w", err)
	default:
		// STS unreachable (a VPC without an STS endpoint): IAM may still
		// answer; the credentials' account is then taken to be the
		// principal's.
		log.Warn("sts:GetCallerIdentity failed: the credentials' account is unknown", zap.Error(err))
	}
	opt.AccountID = s.account
	s.reader = New(c.Clients, opt)
	return s, nil
}

// NewSourceFor returns the source for credentials whose account the
// caller already knows (the daemon asks sts:GetCallerIdentity once, for
// its readiness check too); account "" when unknown.
func NewSourceFor(c SourceClients, opt Options, account string, log *zap.Logger) *Source {
	if log == nil {
		log = zap.NewNop()
	}
	opt.AccountID = account
	return &Source{c: c, log: log, account: account, reader: New(c.Clients, opt)}
}

// Account is the credentials' account; "" when unknown.
func (s *Source) Account() string { return s.account }

// Usage returns what the source's AWS calls cost so far.
func (s *Source) Usage() Usage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usage
}

// Decoder is the source's STS client as the decoder of encoded messages,
// its calls counted in Usage.
func (s *Source) Decoder() *MessageDecoder {
	return &MessageDecoder{STS: s.c.STS, done: func(d time.Duration) {
		s.mu.Lock()
		s.usage.DecodeCalls++
		s.usage.DecodeTime += d
		s.mu.Unlock()
	}}
}

// Gather reads the request's layers from the account. A principal IAM does
// not know, rejected credentials and other AWS failures are *diagnose.Error
// of their kinds; a layer that cannot be read is marked unreadable, not an
// error.
func (s *Source) Gather(ctx context.Context, req *policy.Request) (*diagnose.Gathered, error) {
	l, st, err := s.reader.LayersStats(ctx, req)
	if st != nil {
		s.mu.Lock()
		s.usage.Layers = st
		s.mu.Unlock()
		if s.OnStats != nil {
			s.OnStats(ctx, st)
		}
	}
	w := AccountMismatch(s.account, req)
	if s.reader.opt.Accounts != nil {
		// Each account is read through its own role.
		w = ""
	}
	if err != nil {
		switch {
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			return nil, err
		case errors.Is(err, ErrNoSuchPrincipal) && w != "":
			return nil, &diagnose.Error{Kind: diagnose.PrincipalNotFound, Err: fmt.Errorf("%w; %s, or diagnose offline from a snapshot", err, w)}
		case errors.Is(err, ErrNoSuchPrincipal):
			return nil, &diagnose.Error{Kind: diagnose.PrincipalNotFound, Err: fmt.Errorf("%w; the credentials must belong to the principal's account, or diagnose offline from a snapshot", err)}
		case CredentialsProblem(err):
			return nil, &diagnose.Error{Kind: diagnose.Credentials, Err: err}
		case awserr.Code(err) != "":
			return nil, &diagnose.Error{Kind: diagnose.AWS, Err: err}
		}
		return nil, &diagnose.Error{Kind: diagnose.Source, Err: err}
	}
	g := &diagnose.Gathered{Layers: l}
	if w != "" {
		g.Warnings = []string{w}
	}
	if s.c.Simulator != nil {
		g.CrossCheck = s
	}
	return g, nil
}

// CrossCheck asks iam:SimulatePrincipalPolicy for its verdict on the
// effective request, with the role or user ARN the live read resolved (the
// simulator rejects session ARNs), and compares it with the local verdict.
// A failed cross-check is reported as skipped, never as an error.
func (s *Source) CrossCheck(ctx context.Context, d *report.Diagnosis, l *policy.Layers) *report.CrossCheck {
	req := d.Result.Request
	if req == nil {
		req = d.Input
	}
	sim := s.c.Simulator
	if acc := s.reader.opt.Accounts; acc != nil {
		// The simulator knows the principal's own account's entities.
		ac, err := acc.Clients(ctx, l.Principal.Account)
		if err != nil {
			detail := "cross-check skipped: " + err.Error()
			if ae := (*AssumeRoleError)(nil); errors.As(err, &ae) {
				detail = fmt.Sprintf("cross-check skipped: sts:AssumeRole of %s in account %s failed (%s)", ae.RoleARN, ae.Account, awserr.Code(ae.Err))
			}
			return &report.CrossCheck{PolicySourceARN: l.Principal.IAMARN, Detail: detail, Skipped: true}
		}
		sim = ac.Simulator
	}
	start := time.Now()
	c, called := crosscheck.Report(ctx, sim, d.Result, req, l.Principal.IAMARN)
	s.mu.Lock()
	s.usage.CrossTime += time.Since(start)
	if called {
		s.usage.CrossCalls++
	}
	s.mu.Unlock()
	if c.Skipped {
		// The detail may quote AWS's message, which names principals:
		// debug only (the report carries it).
		s.log.Info("cross-check skipped")
		s.log.Debug("cross-check skipped", zap.String("detail", c.Detail))
	}
	if crosscheck.OrganizationsVerdict(d, l, c) {
		s.log.Info("SCP layer unreadable: the simulator's OrganizationsDecisionDetail used")
	}
	return c
}

// AccountMismatch says, when credAcct (the credentials' account, "" when
// unknown) is not the principal's, that IAM read the wrong account; ""
// otherwise.
func AccountMismatch(credAcct string, req *policy.Request) string {
	principal := principalAccount(req)
	if credAcct == "" || principal == "" || principal == credAcct {
		return ""
	}
	return fmt.Sprintf("the credentials are in account %s but the caller is in %s: IAM reads need credentials of account %s", credAcct, principal, principal)
}

// principalAccount is the caller's account: the request's, else the
// account field of its ARN.
func principalAccount(req *policy.Request) string {
	if req == nil {
		return ""
	}
	if req.Principal.Account != "" {
		return req.Principal.Account
	}
	if a, ok := policy.ParseARN(req.Principal.ARN); ok {
		return a.Account
	}
	return ""
}

// MessageDecoder adapts STS's DecodeAuthorizationMessage to
// decode.Decoder.
type MessageDecoder struct {
	STS interface {
		DecodeAuthorizationMessage(ctx context.Context, in *sts.DecodeAuthorizationMessageInput, optFns ...func(*sts.Options)) (*sts.DecodeAuthorizationMessageOutput, error)
	}
	done func(time.Duration)
}

// DecodeAuthorizationMessage calls STS and returns its DecodedMessage, ""
// when it answered none.
func (m *MessageDecoder) DecodeAuthorizationMessage(ctx context.Context, encoded string) (string, error) {
	start := time.Now()
	out, err := m.STS.DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded)})
	if m.done != nil {
		m.done(time.Since(start))
	}
	if err != nil || out == nil {
		return "", err
	}
	return aws.ToString(out.DecodedMessage), nil
}
