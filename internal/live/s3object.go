package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/iamdiag/iamdiag/internal/layers"
)

// ErrS3URL is the error of a malformed s3://BUCKET/KEY.
var ErrS3URL = errors.New("not an s3://BUCKET/KEY URL")

// IsS3URL reports whether s names an S3 object (begins with s3://), well
// formed or not: ParseS3URL says which.
func IsS3URL(s string) bool { return strings.HasPrefix(s, "s3://") }

// S3URL is an S3 object: s3://BUCKET/KEY.
type S3URL struct {
	Bucket, Key string
}

// String returns s3://BUCKET/KEY.
func (u S3URL) String() string { return "s3://" + u.Bucket + "/" + u.Key }

// ParseS3URL parses s3://BUCKET/KEY: BUCKET follows S3's naming rules for
// general purpose buckets, KEY is what follows the first slash, non-empty
// and at most 1024 bytes of UTF-8
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
func ParseS3URL(s string) (S3URL, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return S3URL{}, fmt.Errorf("%w: %q does not begin with s3://", ErrS3URL, s)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if err := checkBucketName(bucket); err != nil {
		return S3URL{}, fmt.Errorf("%w: %q: %w", ErrS3URL, s, err)
	}
	switch {
	case key == "":
		return S3URL{}, fmt.Errorf("%w: %q names no object key after the bucket", ErrS3URL, s)
	case len(key) > 1024:
		return S3URL{}, fmt.Errorf("%w: %q: the key is longer than 1024 bytes", ErrS3URL, s)
	case !utf8.ValidString(key):
		return S3URL{}, fmt.Errorf("%w: %q: the key is not UTF-8", ErrS3URL, s)
	}
	return S3URL{Bucket: bucket, Key: key}, nil
}

// checkBucketName applies S3's rules for general purpose bucket names.
func checkBucketName(b string) error {
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket name %q must be 3 to 63 characters long", b)
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return fmt.Errorf("bucket name %q may hold only lowercase letters, digits, dots and hyphens", b)
		}
	}
	if !alnum(b[0]) || !alnum(b[len(b)-1]) {
		return fmt.Errorf("bucket name %q must begin and end with a letter or digit", b)
	}
	if strings.Contains(b, "..") {
		return fmt.Errorf("bucket name %q must not hold two adjacent dots", b)
	}
	if net.ParseIP(b) != nil {
		return fmt.Errorf("bucket name %q must not be an IP address", b)
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(b, p) {
			return fmt.Errorf("bucket name %q must not begin with %s", b, p)
		}
	}
	for _, suf := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(b, suf) {
			return fmt.Errorf("bucket name %q must not end with %s", b, suf)
		}
	}
	return nil
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// ObjectClient reads and writes S3 objects; *s3.Client implements it.
type ObjectClient interface {
	PutObject(ctx context.Context, params *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(ctx context.Context, params *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// S3Object is a snapshot kept as one S3 object, which any number of
// processes read (the daemon's server.SnapshotObject).
type S3Object struct {
	Client ObjectClient
	URL    S3URL
}

// String returns the object's s3:// URL.
func (o S3Object) String() string { return o.URL.String() }

// Put writes b as the object (s3:PutObject), Content-Type
// application/json. It sets no encryption: the bucket's default
// encryption applies.
func (o S3Object) Put(ctx context.Context, b []byte) error {
	_, err := o.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(o.URL.Bucket),
		Key:           aws.String(o.URL.Key),
		Body:          bytes.NewReader(b),
		ContentLength: aws.Int64(int64(len(b))),
		ContentType:   aws.String("application/json"),
	})
	if err != nil {
		return fmt.Errorf("writing %s: %w", o, objectError("s3:PutObject", err))
	}
	return nil
}

// Read returns the object's content, up to the size layers.Load accepts,
// and its ETag (s3:GetObject).
func (o S3Object) Read(ctx context.Context) ([]byte, string, error) {
	out, err := o.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(o.URL.Bucket), Key: aws.String(o.URL.Key)})
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", o, objectError("s3:GetObject", err))
	}
	defer out.Body.Close()
	if out.ContentLength != nil && *out.ContentLength > layers.DefaultMaxBytes {
		return nil, "", fmt.Errorf("reading %s: %w: %d bytes, more than %d", o, layers.ErrTooLarge, *out.ContentLength, layers.DefaultMaxBytes)
	}
	b, err := io.ReadAll(io.LimitReader(out.Body, layers.DefaultMaxBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", o, err)
	}
	if len(b) > layers.DefaultMaxBytes {
		return nil, "", fmt.Errorf("reading %s: %w: more than %d bytes", o, layers.ErrTooLarge, layers.DefaultMaxBytes)
	}
	return b, aws.ToString(out.ETag), nil
}

// Version returns the object's ETag without reading it (s3:GetObject's
// HeadObject): it changes when the object is written again with other
// content.
func (o S3Object) Version(ctx context.Context) (string, error) {
	out, err := o.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.URL.Bucket), Key: aws.String(o.URL.Key)})
	if err != nil {
		return "", fmt.Errorf("checking %s: %w", o, objectError("s3:GetObject", err))
	}
	return aws.ToString(out.ETag), nil
}

// objectError says which permission a failed object call needs, or that
// the object is missing; other errors are returned as they are.
func objectError(action string, err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return err
	}
	switch ae.ErrorCode() {
	case "NoSuchKey", "NotFound":
		return fmt.Errorf("%w: no such object (%s)", err, ae.ErrorCode())
	case "NoSuchBucket":
		return fmt.Errorf("%w: no such bucket", err)
	case "AccessDenied", "Forbidden":
		kms := "kms:Decrypt"
		if action == "s3:PutObject" {
			kms = "kms:GenerateDataKey"
		}
		return fmt.Errorf("%w: %s was denied: the credentials need %s on the object (and %s on the key, if the bucket encrypts with a KMS key)", err, action, action, kms)
	}
	return err
}
