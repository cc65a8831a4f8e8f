// Command fakeaws serves a snapshot file as a fake AWS endpoint on a
// loopback address, for trying iamdiag's live mode by hand and for CLI
// scripts. It prints the base URL on the first line of standard output,
// then one encoded authorization message per -encode flag (a decoded message,
// or what `aws sts decode-authorization-message` printed), and serves until
// interrupted.
//
// Usage:
//
//	go run ./cmd/fakeaws -snapshot FILE [-addr 127.0.0.1:0] [-page-size N]
//	    [-latency 50ms] [-caller ARN] [-encode DECODED.json]...
//
// Then point the SDK at it:
//
//	AWS_ENDPOINT_URL=http://127.0.0.1:PORT AWS_ACCESS_KEY_ID=AKIAFAKE \
//	AWS_SECRET_ACCESS_KEY=fake AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
//	iamdiag diagnose --encoded-message TOKEN
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return fmt.Sprint(*l) }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// maxDecoded bounds an -encode file.
const maxDecoded = 1 << 20

// run serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fakeaws", flag.ContinueOnError)
	fs.SetOutput(stderr)
	snapshot := fs.String("snapshot", "", "the iamdiag-snapshot/v1 file to serve (required)")
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on")
	pageSize := fs.Int("page-size", 0, "items per page of every list (0: the service default)")
	latency := fs.Duration("latency", 0, "delay before each answer")
	caller := fs.String("caller", "", "the ARN GetCallerIdentity returns")
	var encode stringList
	fs.Var(&encode, "encode", "a decoded authorization message (JSON file) to issue an encoded message for; repeatable")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *snapshot == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: fakeaws -snapshot FILE [-addr 127.0.0.1:0] [-page-size N] [-latency D] [-caller ARN] [-encode FILE]...")
		return 2
	}
	srv, err := fakeaws.NewFromFile(*snapshot, fakeaws.Options{PageSize: *pageSize, Latency: *latency, CallerARN: *caller})
	if err != nil {
		fmt.Fprintln(stderr, "fakeaws:", err)
		return 1
	}
	var tokens []string
	for _, f := range encode {
		b, err := readLimited(f)
		if err != nil {
			fmt.Fprintln(stderr, "fakeaws:", err)
			return 1
		}
		tokens = append(tokens, srv.Encode(innerMessage(b)))
	}
	u, err := srv.StartAt(*addr)
	if err != nil {
		fmt.Fprintln(stderr, "fakeaws:", err)
		return 1
	}
	defer srv.Close()
	fmt.Fprintln(stdout, u)
	for _, t := range tokens {
		fmt.Fprintln(stdout, t)
	}
	<-ctx.Done()
	fmt.Fprintf(stderr, "fakeaws: %d calls, %d sequential round trips\n", srv.TotalCalls(), srv.RoundTrips())
	return 0
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading decoded message: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxDecoded+1))
	if err != nil {
		return nil, fmt.Errorf("reading decoded message %s: %w", path, err)
	}
	if len(b) > maxDecoded {
		return nil, fmt.Errorf("reading decoded message %s: %w", path, errTooLarge)
	}
	return b, nil
}

var errTooLarge = errors.New("larger than 1 MiB")

// innerMessage returns the decoded message itself when b is what `aws sts
// decode-authorization-message` prints ({"DecodedMessage": "…"}), b
// otherwise.
func innerMessage(b []byte) []byte {
	var out struct {
		DecodedMessage *string
	}
	if json.Unmarshal(b, &out) == nil && out.DecodedMessage != nil {
		return []byte(*out.DecodedMessage)
	}
	return b
}
