package fakeaws

import (
	"context"
	"encoding/json"
	"iter"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamdiag/iamdiag/internal/layers"
)

// realisticPath is the realistic snapshot of internal/layers.
var realisticPath = filepath.Join("..", "layers", "testdata", "realistic", "snapshot.json")

// testKey is the access key the test clients sign with.
const testKey = "AKIAFAKEAWSTEST00001"

func loadSnapshot(t testing.TB, path string) *layers.Snapshot {
	t.Helper()
	s, err := layers.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parseSnapshot(t testing.TB, js string) *layers.Snapshot {
	t.Helper()
	s, err := layers.Load(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// serve starts a server for snap and stops it when the test ends.
func serve(t testing.TB, snap *layers.Snapshot, opts Options) (*Server, string) {
	t.Helper()
	s := New(snap, opts)
	u := s.Start()
	t.Cleanup(s.Close)
	return s, u
}

// noBackoff retries at once: the tests prove the retry happens, not its
// timing.
var noBackoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })

// awsConfig is a client configuration for the server at u, built the way
// cmd does through config.LoadDefaultConfig but without touching the
// environment.
func awsConfig(u string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(testKey, "fake-secret", ""),
		BaseEndpoint: aws.String(u),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = noBackoff
				o.RateLimiter = ratelimit.None
			})
		},
	}
}

type clients struct {
	iam *iam.Client
	sts *sts.Client
	org *organizations.Client
	s3  *s3.Client
	kms *kms.Client
}

func newClients(cfg aws.Config) clients {
	return clients{
		iam: iam.NewFromConfig(cfg),
		sts: sts.NewFromConfig(cfg),
		org: organizations.NewFromConfig(cfg),
		s3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		kms: kms.NewFromConfig(cfg),
	}
}

// canonical parses a policy document's JSON text (URL-decoded first when
// encoded) into a generic value for comparison.
func canonical(t testing.TB, text string) any {
	t.Helper()
	if strings.HasPrefix(text, "%7B") {
		dec, err := url.PathUnescape(text)
		if err != nil {
			t.Fatalf("decoding %q: %v", text, err)
		}
		text = dec
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("policy text %q: %v", text, err)
	}
	return v
}

// rawCanonical is canonical for a snapshot document.
func rawCanonical(t testing.TB, r layers.RawPolicy) any {
	t.Helper()
	if r.IsZero() {
		return nil
	}
	return canonical(t, docText(r))
}

// allPages yields the pages of an SDK paginator one by one, as its
// HasMorePages and NextPage loop would, failing the test on an error.
func allPages[O, Opt any](t testing.TB, ctx context.Context, more func() bool, next func(context.Context, ...Opt) (O, error)) iter.Seq[O] {
	return func(yield func(O) bool) {
		for more() {
			p, err := next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !yield(p) {
				return
			}
		}
	}
}
