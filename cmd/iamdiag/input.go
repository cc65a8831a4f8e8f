package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/pflag"

	"github.com/iamdiag/iamdiag/internal/authrecord"
	"github.com/iamdiag/iamdiag/internal/decode"
	"github.com/iamdiag/iamdiag/internal/diagnose"
	"github.com/iamdiag/iamdiag/internal/live"
	"github.com/iamdiag/iamdiag/internal/toolbox"
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
	// AuthorizationID is the ID of AWS's record of the denial;
	// AuthorizationRecord a record saved with decode --save.
	AuthorizationID     string
	AuthorizationRecord string // FILE or "-"
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
	fs.StringVar(&o.CloudTrail, "cloudtrail-event", "", "`FILE` (or - for stdin) holding a CloudTrail record or log file (gzip-compressed or not, any size: streamed); its first denied event is used")
	fs.StringVar(&o.AuthorizationID, "authorization-id", "", "`ID` of AWS's record of the denial (the AccessDenied message's authorization id), read with iam:GetRequestAuthorizationDetails")
	fs.StringVar(&o.AuthorizationRecord, "authorization-record", "", "`FILE` (or - for stdin) holding AWS's record of the denial saved with `iamdiag decode --authorization-id ID --save FILE` (no AWS credentials needed)")
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
		{"--authorization-record", o.AuthorizationRecord},
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
	for _, v := range []string{o.DecodedMessage, o.ErrorFile, o.CloudTrail, o.AuthorizationRecord} {
		if v == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return usageErrorf("only one input can be read from stdin (-)")
	}
	if o.AuthorizationID != "" && !authrecord.ValidID(o.AuthorizationID) {
		return usageErrorf("--authorization-id %q: want the letters and digits of the AccessDenied message's authorization id", o.AuthorizationID)
	}
	if len(given) == 0 && o.AuthorizationID != "" && o.Principal == "" && o.Action == "" {
		return nil
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

// newSTS returns the decoder of encoded messages: an STS client from the
// configuration every command loads (loadAWSConfig: --profile, --region,
// AWS_ENDPOINT_URL*, the standard retryer).
func newSTS(ctx context.Context, profile, region string) (decode.Decoder, error) {
	cfg, err := loadAWSConfig(ctx, profile, region)
	if err != nil {
		return nil, err
	}
	return &live.MessageDecoder{STS: sts.NewFromConfig(cfg)}, nil
}

// stsFactory builds the decoder of encoded messages; tests replace it.
type stsFactory func(ctx context.Context, profile, region string) (decode.Decoder, error)

// input reads the input flags into the pipeline's input: files and stdin
// are read here, up to the decoders' limit. Errors are usage errors (exit
// 2) for bad flags and plain errors (exit 1) for files that cannot be read.
func (o *inputOptions) input(stdin io.Reader) (diagnose.Input, error) {
	if err := o.validate(); err != nil {
		return diagnose.Input{}, err
	}
	in := diagnose.Input{Principal: o.Principal, Action: o.Action, Resource: o.Resource, Context: o.Context,
		EncodedMessage: o.EncodedMessage, ErrorText: o.Error, AuthorizationID: o.AuthorizationID}
	for _, f := range []struct {
		flag, name string
		dst        *[]byte
	}{
		{"--decoded-message", o.DecodedMessage, &in.DecodedMessage},
		{"--error-file", o.ErrorFile, nil},
		{"--cloudtrail-event", o.CloudTrail, &in.CloudTrail},
		{"--authorization-record", o.AuthorizationRecord, &in.AuthorizationRecord},
	} {
		if f.name == "" {
			continue
		}
		read := readInput
		if f.dst == &in.CloudTrail {
			read = readCloudTrail
		}
		b, err := read(f.name, stdin)
		if err != nil {
			return diagnose.Input{}, fmt.Errorf("reading %s %s: %w", f.flag, f.name, err)
		}
		if f.dst == nil {
			in.ErrorText = string(b)
			continue
		}
		*f.dst = b
	}
	return in, nil
}

// decoder returns, when the input is an encoded message, the decoder built
// by newSTS; nil otherwise (nothing to decode: no AWS configuration is
// loaded).
func (o *inputOptions) decoder(ctx context.Context, newSTS stsFactory) (decode.Decoder, error) {
	if strings.TrimSpace(o.EncodedMessage) == "" {
		return nil, nil
	}
	dec, err := newSTS(ctx, o.Profile, o.Region)
	if err != nil {
		return nil, fmt.Errorf("decoding --encoded-message: %w; or run `aws sts decode-authorization-message` yourself and pass its output with --decoded-message FILE", err)
	}
	return dec, nil
}

// flagName names an input field as the CLI does: its flag.
func (o *inputOptions) flagName(f diagnose.Field) string {
	switch f {
	case diagnose.FieldPrincipal:
		return "--principal ARN"
	case diagnose.FieldAction:
		return "--action SERVICE:ACTION"
	case diagnose.FieldResource:
		return "--resource ARN"
	case diagnose.FieldContext:
		return "--context KEY=VALUE"
	case diagnose.FieldEncodedMessage:
		return "--encoded-message"
	case diagnose.FieldDecodedMessage:
		return "--decoded-message " + o.DecodedMessage
	case diagnose.FieldErrorText:
		if o.ErrorFile != "" {
			return "--error-file " + o.ErrorFile
		}
		return "--error"
	case diagnose.FieldCloudTrail:
		return "--cloudtrail-event " + o.CloudTrail
	case diagnose.FieldAuthorizationID:
		return "--authorization-id"
	case diagnose.FieldAuthorizationRecord:
		return "--authorization-record " + o.AuthorizationRecord
	}
	return "the input"
}

// cliError turns the pipeline's error into the CLI's: the fields named by
// their flags, the exit status by its kind, and what to do in the CLI's
// words. Other errors are returned as they are.
func (o *inputOptions) cliError(err error) error {
	var e *diagnose.Error
	if !errors.As(err, &e) {
		return err
	}
	msg := e.Describe(o.flagName)
	switch e.Kind {
	case diagnose.Invalid:
		return &exitError{code: exitUsage, err: errors.New(msg)}
	case diagnose.STS:
		return explainAWSError(fmt.Errorf("%s; or run `aws sts decode-authorization-message` yourself and pass its output with --decoded-message FILE: %w", msg, errors.Unwrap(e)), o.Profile)
	case diagnose.Credentials, diagnose.AWS:
		return explainAWSError(e.Err, o.Profile)
	}
	return &exitError{code: exitFailure, err: errors.New(msg)}
}

// readCloudTrail reads a CloudTrail FILE, or stdin for "-", as CloudTrail
// delivers it: gzip-compressed or not, a log file of any size streamed to
// its first denied record (decode.ReadCloudTrail).
func readCloudTrail(name string, stdin io.Reader) ([]byte, error) {
	r, closeFile, err := openInput(name, stdin)
	if err != nil {
		return nil, err
	}
	defer closeFile()
	return decode.ReadCloudTrail(r)
}

// openInput opens FILE, or stdin for "-".
func openInput(name string, stdin io.Reader) (io.Reader, func(), error) {
	if name == "-" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// readInput reads FILE, or stdin for "-", up to the decoders' limit.
func readInput(name string, stdin io.Reader) ([]byte, error) {
	r, closeFile, err := openInput(name, stdin)
	if err != nil {
		return nil, err
	}
	defer closeFile()
	b, err := io.ReadAll(io.LimitReader(r, decode.MaxInputSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > decode.MaxInputSize {
		return nil, fmt.Errorf("%w: more than %d bytes; pass only the error or the event", decode.ErrTooLarge, decode.MaxInputSize)
	}
	return b, nil
}

// records returns the fetcher of AWS's records of denials: IAM Toolbox
// with the configuration every command loads (--profile, --region,
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_IAM_TOOLBOX, the standard
// retryer).
func (o *inputOptions) records(ctx context.Context) (diagnose.RecordFetcher, error) {
	cfg, err := loadAWSConfig(ctx, o.Profile, o.Region)
	if err != nil {
		return nil, err
	}
	return toolbox.Records{Config: cfg}, nil
}
