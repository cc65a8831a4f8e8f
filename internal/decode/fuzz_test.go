package decode

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzBudget bounds one decode: the decoders use linear-time regular
// expressions and bounded loops, so even a MaxInputSize input takes far less.
const fuzzBudget = 2 * time.Second

func corpusInputs(f *testing.F) []string {
	files, _ := filepath.Glob("testdata/errors/*.txtar")
	var out []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, s := range parseTxtar(data).Files {
			if s.Name == "input" {
				out = append(out, string(s.Data))
			}
		}
	}
	return out
}

// FuzzErrorText: FromErrorText never panics, returns a request or an error,
// and what it returns is JSON and comes from the text.
func FuzzErrorText(f *testing.F) {
	for _, in := range corpusInputs(f) {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, text string) {
		start := time.Now()
		r, err := FromErrorText(text)
		if d := time.Since(start); d > fuzzBudget {
			t.Fatalf("took %v", d)
		}
		if (r == nil) == (err == nil) {
			t.Fatalf("request %v and error %v", r, err)
		}
		if r == nil {
			return
		}
		b, err := json.Marshal(r)
		if err != nil || !json.Valid(b) {
			t.Fatalf("marshal: %v", err)
		}
		// The encoded message is URL-safe base64 read from the text.
		for i := 0; i < len(r.EncodedMessage); i++ {
			if !isEncodedByte(r.EncodedMessage[i]) {
				t.Fatalf("encoded message %q holds %q", r.EncodedMessage, r.EncodedMessage[i])
			}
		}
		if r.Principal != "" && !utf8.ValidString(r.Principal) {
			t.Fatalf("principal %q is not UTF-8", r.Principal)
		}
		if r.Hint != nil && r.Hint.PolicyARN != "" && !strings.HasPrefix(r.Hint.PolicyARN, "arn:") {
			t.Fatalf("policy ARN %q", r.Hint.PolicyARN)
		}
	})
}

// FuzzCloudTrail: FromCloudTrail never panics and returns a request or an
// error.
func FuzzCloudTrail(f *testing.F) {
	bare, err := os.ReadFile("testdata/cloudtrail/runinstances-scp.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bare)
	f.Add([]byte(`{"Records":[{"eventSource":"s3.amazonaws.com","eventName":"ListObjects","errorCode":"AccessDenied","requestParameters":{"bucketName":"b"}}]}`))
	f.Add([]byte(`{"detail":{"eventSource":"lambda.amazonaws.com","eventName":"Invoke20150331","errorCode":"AccessDenied"}}`))
	f.Add([]byte(`{"Events":[{"CloudTrailEvent":"{\"eventSource\":\"sqs.amazonaws.com\",\"eventName\":\"SendMessage\",\"errorCode\":\"AccessDenied\",\"requestParameters\":{\"queueUrl\":\"https://sqs.us-east-1.amazonaws.com/123456789012/q\"}}"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		r, err := FromCloudTrail(data)
		if d := time.Since(start); d > fuzzBudget {
			t.Fatalf("took %v", d)
		}
		if (r == nil) == (err == nil) {
			t.Fatalf("request %v and error %v", r, err)
		}
		if r != nil {
			if _, err := json.Marshal(r); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzDecodedMessage: FromDecodedMessage never panics and returns a request
// or an error.
func FuzzDecodedMessage(f *testing.F) {
	outer, _ := json.Marshal(map[string]string{"DecodedMessage": decodedRunInstances})
	f.Add([]byte(decodedRunInstances))
	f.Add(outer)
	f.Add([]byte(`{"allowed":false,"explicitDeny":false,"context":{"action":"X","conditions":{"items":[{"key":"k","values":{"items":[{"value":1}]}}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		r, err := FromDecodedMessage(data)
		if d := time.Since(start); d > fuzzBudget {
			t.Fatalf("took %v", d)
		}
		if (r == nil) == (err == nil) {
			t.Fatalf("request %v and error %v", r, err)
		}
		if r != nil {
			if _, err := json.Marshal(r); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// BenchmarkFromErrorText decodes a typical CLI error: EC2's
// UnauthorizedOperation with the detail sentence and an encoded message.
func BenchmarkFromErrorText(b *testing.B) {
	text := "An error occurred (UnauthorizedOperation) when calling the RunInstances operation: You are not authorized to perform this operation. " +
		"User: arn:aws:sts::123456789012:assumed-role/MyFederatedRole/jane is not authorized to perform: ec2:RunInstances on resource: " +
		"arn:aws:ec2:us-east-1:123456789012:instance/* with an explicit deny in a service control policy: " +
		"arn:aws:organizations::999999999999:policy/o-abc/service_control_policy/p-denyec2. Encoded authorization failure message: " +
		strings.Repeat("Ab3dEfGhIjKlMnOpQrStUvWxYz0123456789-_", 30)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromErrorText(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFromErrorTextLarge decodes a MaxInputSize log with the error at
// its end.
func BenchmarkFromErrorTextLarge(b *testing.B) {
	line := "2026-06-16T12:27:16Z INFO deploying stack, waiting for resources to stabilise\n"
	text := strings.Repeat(line, (MaxInputSize-400)/len(line)) +
		"User: arn:aws:iam::123456789012:user/u is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::b/k\" because no identity-based policy allows the s3:GetObject action"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FromErrorText(text); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzReadCloudTrail: ReadCloudTrail, with small bounds so that the
// streaming path runs, never panics; a small input comes back whole; a
// gzip-compressed input reads as the plain one; a streamed input gives a
// denied record within the bound of one record, which FromCloudTrail reads
// as it reads the whole input.
func FuzzReadCloudTrail(f *testing.F) {
	bare, err := os.ReadFile("testdata/cloudtrail/runinstances-scp.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bare)
	f.Add([]byte(`{"Records":[{"eventSource":"s3.amazonaws.com","eventName":"ListObjects"},{"eventSource":"s3.amazonaws.com","eventName":"ListObjects","errorCode":"AccessDenied","requestParameters":{"bucketName":"b"}}]}`))
	f.Add([]byte(`[{"eventName":"A","eventSource":"s3.amazonaws.com"},` + strings.Repeat(`{"eventName":"x"},`, 20) + `{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","errorCode":"Client.UnauthorizedOperation"}]`))
	f.Add([]byte(`{"Events":[{"CloudTrailEvent":"{\"eventSource\":\"sqs.amazonaws.com\",\"eventName\":\"SendMessage\",\"errorCode\":\"AccessDenied\"}"}],"NextToken":"` + strings.Repeat("t", 300) + `"}`))
	lim := ctLimits{total: 1 << 16, head: 256, record: 1024}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := readCloudTrail(bytes.NewReader(data), lim)
		zgot, zerr := readCloudTrail(bytes.NewReader(gzipped(t, data)), lim)
		if (err == nil) != (zerr == nil) || !bytes.Equal(got, zgot) {
			t.Fatalf("plain: %q, %v; gzip: %q, %v", got, err, zgot, zerr)
		}
		if err != nil {
			return
		}
		if int64(len(data)) <= lim.head {
			if !bytes.Equal(got, data) {
				t.Fatalf("small input %q came back as %q", data, got)
			}
			return
		}
		var rec ctRecord
		if int64(len(got)) > lim.record+1 || json.Unmarshal(got, &rec) != nil || !rec.denied() {
			t.Fatalf("streamed %q: not one denied record", got)
		}
		// FromCloudTrail reads an object's last "Records" and prefers
		// Records to Events; streaming takes the first list it meets.
		if bytes.Count(data, []byte(`"Records"`))+bytes.Count(data, []byte(`"Events"`)) > 1 {
			return
		}
		whole, werr := FromCloudTrail(data)
		one, oerr := FromCloudTrail(got)
		if werr != nil || oerr != nil {
			return
		}
		wj, _ := json.Marshal(whole)
		oj, _ := json.Marshal(one)
		if !bytes.Equal(wj, oj) {
			t.Fatalf("whole input gives %s, the streamed record %s", wj, oj)
		}
	})
}
