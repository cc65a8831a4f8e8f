package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/iamdiag/iamdiag/internal/decode"
	"github.com/iamdiag/iamdiag/internal/policy"
)

// inputOptions are the input flags shared by diagnose and decode: one of the
// message inputs, completed or overridden by --principal, --action,
// --resource and --context.
type inputOptions struct {
	Principal      string
	Action         string
	Resource       string
	Context        []string
	EncodedMessage string
	DecodedMessage string // FILE or "-"
	Error          string
	ErrorFile      string // FILE or "-"
	CloudTrail     string // FILE or "-"
	// Profile and Region configure the STS client that decodes
	// --encoded-message.
	Profile string
	Region  string
}

func (o *inputOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Principal, "principal", "", "caller `ARN` (user, role, or assumed-role session)")
	fs.StringVar(&o.Action, "action", "", "the denied action, `SERVICE:ACTION` (e.g. ec2:RunInstances)")
	fs.StringVar(&o.Resource, "resource", "", "the resource `ARN` (default \"*\")")
	fs.StringArrayVar(&o.Context, "context", nil, "request context `KEY=VALUE`; repeat a key for a multi-valued key")
	fs.StringVar(&o.EncodedMessage, "encoded-message", "", "encoded authorization failure `TEXT`, decoded with sts:DecodeAuthorizationMessage (needs AWS credentials)")
	fs.StringVar(&o.DecodedMessage, "decoded-message", "", "`FILE` (or - for stdin) holding what `aws sts decode-authorization-message` printed")
	fs.StringVar(&o.Error, "error", "", "the error `TEXT` exactly as the CLI, an SDK or the console printed it")
	fs.StringVar(&o.ErrorFile, "error-file", "", "`FILE` (or - for stdin) holding the error text")
	fs.StringVar(&o.CloudTrail, "cloudtrail-event", "", "`FILE` (or - for stdin) holding a CloudTrail record or log file; its first denied event is used")
	fs.StringVar(&o.Profile, "profile", "", "AWS shared config `PROFILE` (default: AWS_PROFILE, then the default profile) for the live account and --encoded-message")
	fs.StringVar(&o.Region, "region", "", "AWS `REGION` (default: AWS_REGION, then the profile's) for the live account and --encoded-message")
}

// messageInputs returns the message input flags that were given.
func (o *inputOptions) messageInputs() []string {
	var given []string
	for _, f := range []struct {
		name, value string
	}{
		{"--encoded-message", o.EncodedMessage},
		{"--decoded-message", o.DecodedMessage},
		{"--error", o.Error},
		{"--error-file", o.ErrorFile},
		{"--cloudtrail-event", o.CloudTrail},
	} {
		if f.value != "" {
			given = append(given, f.name)
		}
	}
	return given
}

// validate checks the input flags' combinations (usage errors).
func (o *inputOptions) validate() error {
	given := o.messageInputs()
	if len(given) > 1 {
		return usageErrorf("give one input, not %s", strings.Join(given, " and "))
	}
	stdin := 0
	for _, v := range []string{o.DecodedMessage, o.ErrorFile, o.CloudTrail} {
		if v == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return usageErrorf("only one input can be read from stdin (-)")
	}
	if len(given) == 0 && o.Principal == "" && o.Action == "" {
		return usageErrorf("no input: pass --error-file FILE (the error text), --cloudtrail-event FILE, --decoded-message FILE, --encoded-message TEXT, or --principal ARN --action SERVICE:ACTION")
	}
	if len(given) == 0 && o.Action == "" {
		return usageErrorf("--principal needs --action SERVICE:ACTION")
	}
	if len(given) == 0 && o.Principal == "" {
		return usageErrorf("--action needs --principal ARN")
	}
	for _, kv := range o.Context {
		if k, _, ok := strings.Cut(kv, "="); !ok || strings.TrimSpace(k) == "" {
			return usageErrorf("--context %q: want KEY=VALUE", kv)
		}
	}
	return nil
}

// newSTS returns an STS client from the configuration every command loads
// (loadAWSConfig: --profile, --region, AWS_ENDPOINT_URL*, the standard
// retryer).
func newSTS(ctx context.Context, profile, region string) (decode.Decoder, error) {
	cfg, err := loadAWSConfig(ctx, profile, region)
	if err != nil {
		return nil, err
	}
	return sts.NewFromConfig(cfg), nil
}

// inputDeps are what reading the input may need besides files.
type inputDeps struct {
	stdin io.Reader
	log   *zap.Logger
	// sts returns the STS client for --encoded-message; tests replace it.
	sts func(ctx context.Context, profile, region string) (decode.Decoder, error)
}

// request turns the input flags into a decoded request. Errors are usage
// errors (exit 2) for bad flags and plain errors (exit 1) for inputs that
// cannot be read or understood.
func (o *inputOptions) request(ctx context.Context, deps inputDeps) (*decode.Request, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	var (
		req *decode.Request
		err error
	)
	switch {
	case o.EncodedMessage != "":
		var dec decode.Decoder
		if dec, err = deps.sts(ctx, o.Profile, o.Region); err != nil {
			return nil, fmt.Errorf("decoding --encoded-message: %w; or run `aws sts decode-authorization-message` yourself and pass its output with --decoded-message FILE", err)
		}
		req, err = decode.FromEncoded(ctx, dec, strings.TrimSpace(o.EncodedMessage))
		err = wrapInput("--encoded-message", err)
	case o.DecodedMessage != "":
		var b []byte
		if b, err = readInput(o.DecodedMessage, deps.stdin); err == nil {
			req, err = decode.FromDecodedMessage(b)
		}
		err = wrapInput("--decoded-message "+o.DecodedMessage, err)
	case o.Error != "":
		req, err = decode.FromErrorText(o.Error)
		err = wrapInput("--error", err)
	case o.ErrorFile != "":
		var b []byte
		if b, err = readInput(o.ErrorFile, deps.stdin); err == nil {
			req, err = decode.FromErrorText(string(b))
		}
		err = wrapInput("--error-file "+o.ErrorFile, err)
	case o.CloudTrail != "":
		var b []byte
		if b, err = readInput(o.CloudTrail, deps.stdin); err == nil {
			req, err = decode.FromCloudTrail(b)
		}
		err = wrapInput("--cloudtrail-event "+o.CloudTrail, err)
	default:
		req, err = decode.FromFlags(o.Principal, o.Action, o.Resource, o.Context)
		if err != nil {
			return nil, &exitError{code: exitUsage, err: err}
		}
		return req, nil
	}
	if err != nil {
		return nil, err
	}
	deps.log.Info("input decoded", zap.String("source", req.Source), zap.String("action", req.Action))
	return o.complete(req)
}

// complete applies --principal, --action, --resource and --context on top of
// what a message said: a flag fills what the message lacks and wins where
// both say something.
func (o *inputOptions) complete(req *decode.Request) (*decode.Request, error) {
	if o.Principal == "" && o.Action == "" && o.Resource == "" && len(o.Context) == 0 {
		return req, nil
	}
	extra, err := decode.FromFlags(or(o.Principal, req.Principal), or(o.Action, req.Action), or(o.Resource, req.Resource), o.Context)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	if o.Principal != "" && o.Principal != req.Principal {
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

// wrapInput names the flag whose input could not be read.
func wrapInput(flag string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("reading %s: %w", flag, err)
}

// readInput reads FILE, or stdin for "-", up to the decoders' limit.
func readInput(name string, stdin io.Reader) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, decode.MaxInputSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > decode.MaxInputSize {
		return nil, fmt.Errorf("%w: more than %d bytes; pass only the error or the event", decode.ErrTooLarge, decode.MaxInputSize)
	}
	return b, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
