package decode

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ctRecordJSON returns record i of a generated log file, about 500 bytes,
// denied or not.
func ctRecordJSON(i int, denied bool) string {
	errorCode := ""
	if denied {
		errorCode = `"errorCode":"AccessDenied","errorMessage":"User: arn:aws:sts::123456789012:assumed-role/App/i-0abc is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::logs/k\" because no identity-based policy allows the s3:GetObject action",`
	}
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:i-0abc","arn":"arn:aws:sts::123456789012:assumed-role/App/i-0abc","accountId":"123456789012","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::123456789012:role/App"}}},"eventTime":"2026-06-16T12:27:16Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.%d",%s"userAgent":"aws-sdk-go-v2/1.30.0","requestParameters":{"bucketName":"logs","key":"k%d"},"eventID":"%08d-0000-0000-0000-000000000000"}`, i%250, errorCode, i, i)
}

// ctLogFile returns a CloudTrail log file of n records whose only denied
// record is the one at position denied (none when denied < 0), under the
// top-level key ("Records"; "" for a bare JSON list).
func ctLogFile(t testing.TB, n, denied int, key string) []byte {
	t.Helper()
	var b bytes.Buffer
	if key != "" {
		fmt.Fprintf(&b, `{"%s":[`, key)
	} else {
		b.WriteString("[")
	}
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(ctRecordJSON(i, i == denied))
	}
	b.WriteString("]")
	if key != "" {
		b.WriteString("}")
	}
	return b.Bytes()
}

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestReadCloudTrail: inputs as CloudTrail delivers them give the request
// their first denied record gives; what cannot be read gives a clear error.
func TestReadCloudTrail(t *testing.T) {
	bare, err := os.ReadFile("testdata/cloudtrail/runinstances-scp.json")
	if err != nil {
		t.Fatal(err)
	}
	big := ctLogFile(t, 10000, 9998, "Records")
	if len(big) < 5<<20 {
		t.Fatalf("the log file is %d bytes, want over 5 MB", len(big))
	}
	// At a record boundary past the part read whole, a broken record.
	cut := MaxInputSize + bytes.Index(big[MaxInputSize:], []byte(",\n"))
	badJSON := append(append([]byte{}, big[:cut]...), `,{"a":}]}`...)
	events, _ := json.Marshal(map[string]any{"Events": func() []map[string]string {
		var list []map[string]string
		for i := range 3000 {
			list = append(list, map[string]string{"CloudTrailEvent": ctRecordJSON(i, i == 2999)})
		}
		return list
	}()})
	tests := []struct {
		name  string
		input []byte
		// same: the result is FromCloudTrail's for this input.
		same    []byte
		wantErr error
		errText string
	}{
		{name: "small record, plain", input: bare, same: bare},
		{name: "small record, gzip", input: gzipped(t, bare), same: bare},
		{name: "10,000 records, 5 MB", input: big, same: []byte(ctRecordJSON(9998, true))},
		{name: "10,000 records, 5 MB, gzip", input: gzipped(t, big), same: []byte(ctRecordJSON(9998, true))},
		{name: "large JSON list", input: ctLogFile(t, 3000, 2999, ""), same: []byte(ctRecordJSON(2999, true))},
		{name: "large lookup-events output", input: events, same: []byte(ctRecordJSON(2999, true))},
		{name: "no denied record", input: ctLogFile(t, 4000, -1, "Records"), wantErr: ErrNoDeniedEvent, errText: "none of its 4000 records"},
		{name: "one record over the bound", input: []byte(`{"Records":[{"eventSource":"s3.amazonaws.com","requestParameters":{"x":"` + strings.Repeat("a", MaxRecordSize+10) + `"}}]}`),
			wantErr: ErrTooLarge, errText: "record 1 of the CloudTrail input is more than"},
		{name: "large bare record", input: []byte(`{"eventSource":"s3.amazonaws.com","x":[` + strings.Repeat(`"aaaaaaa",`, MaxInputSize/10) + `1]}`),
			wantErr: ErrTooLarge, errText: "holds no Records list"},
		{name: "truncated log file", input: big[:len(big)-5000], wantErr: ErrInvalid, errText: "ends early"},
		{name: "truncated gzip", input: func() []byte { z := gzipped(t, big); return z[:len(z)/2] }(), wantErr: ErrInvalid, errText: "gzip"},
		{name: "bad JSON", input: badJSON, wantErr: ErrInvalid, errText: "at byte"},
		{name: "gzip magic, no gzip", input: []byte{0x1f, 0x8b, 'x'}, wantErr: ErrInvalid, errText: "gzip-compressed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadCloudTrail(bytes.NewReader(tc.input))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("got %v, want %v saying %q", err, tc.wantErr, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) > MaxInputSize {
				t.Errorf("returned %d bytes", len(got))
			}
			gotReq, err := FromCloudTrail(got)
			if err != nil {
				t.Fatal(err)
			}
			wantReq, err := FromCloudTrail(tc.same)
			if err != nil {
				t.Fatal(err)
			}
			gotJSON, _ := json.MarshalIndent(gotReq, "", "  ")
			wantJSON, _ := json.MarshalIndent(wantReq, "", "  ")
			if diff := cmp.Diff(string(wantJSON), string(gotJSON)); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadCloudTrailBounds: a gzip bomb or a file over the total bound
// stops at the bound with a clear error; small bounds stand for the real
// ones, which the same code applies.
func TestReadCloudTrailBounds(t *testing.T) {
	lim := ctLimits{total: 4 << 20, head: 64 << 10, record: 8 << 10}
	// 16 MiB of tiny records, not one denied: about 70 KB compressed.
	bomb := append(append([]byte(`{"Records":[`), bytes.Repeat([]byte(`{"eventName":"x"},`), 1<<20)...), `{}]}`...)
	// 16 MiB of spaces: no record ends, the bound of one record trips.
	spaces := append(append([]byte(`{"Records":[`), bytes.Repeat([]byte(" "), 16<<20)...), ']', '}')
	tests := []struct {
		name    string
		input   []byte
		errText string
	}{
		{"gzip bomb", gzipped(t, bomb), "decompresses to more than 4194304 bytes"},
		{"gzip bomb of spaces", gzipped(t, spaces), "record 1 of the CloudTrail input is more than 8192 bytes"},
		{"plain file over the bound", ctLogFile(t, 10000, -1, "Records"), "is more than 4194304 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readCloudTrail(bytes.NewReader(tc.input), lim)
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tc.errText) {
				t.Fatalf("got %v, want %v saying %q", err, ErrTooLarge, tc.errText)
			}
		})
	}
	t.Run("exactly the bound", func(t *testing.T) {
		in := ctLogFile(t, 10000, 9000, "Records")
		lim := ctLimits{total: int64(len(in)), head: 64 << 10, record: 8 << 10}
		if _, err := readCloudTrail(bytes.NewReader(in), lim); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkReadCloudTrail streams a 5 MB, 10,000-record log file to its
// last record, gzip-compressed as CloudTrail delivers it.
func BenchmarkReadCloudTrail(b *testing.B) {
	in := gzipped(b, ctLogFile(b, 10000, 9999, "Records"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadCloudTrail(bytes.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}
