package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDecodeCloudTrailLogFile: a CloudTrail log file as CloudTrail
// delivers it (gzip-compressed, named .json.gz or not, 10,000 records and
// over 5 MB once decompressed) is read to its denied record, from a file or
// from stdin.
func TestDecodeCloudTrailLogFile(t *testing.T) {
	var log bytes.Buffer
	log.WriteString(`{"Records":[`)
	for i := range 10000 {
		if i > 0 {
			log.WriteString(",\n")
		}
		errorCode := ""
		if i == 9876 {
			errorCode = `"errorCode":"AccessDenied",`
		}
		fmt.Fprintf(&log, `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/u%d","accountId":"123456789012"},"eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1",%s"requestParameters":{"bucketName":"logs","key":"%s"}}`, i, errorCode, strings.Repeat("k", 400))
	}
	log.WriteString("]}")
	if log.Len() < 5<<20 {
		t.Fatalf("%d bytes", log.Len())
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(log.Bytes())
	zw.Close()
	dir := t.TempDir()
	files := map[string][]byte{"log.json.gz": z.Bytes(), "log-without-suffix": z.Bytes(), "log.json": log.Bytes()}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		arg   string
		stdin []byte
	}{
		{"gzip .json.gz", filepath.Join(dir, "log.json.gz"), nil},
		{"gzip without the suffix", filepath.Join(dir, "log-without-suffix"), nil},
		{"plain 5 MB", filepath.Join(dir, "log.json"), nil},
		{"gzip on stdin", "-", z.Bytes()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run([]string{"decode", "--format", "json", "--cloudtrail-event", tc.arg}, bytes.NewReader(tc.stdin), &out, &errb)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			var got struct {
				Principal string `json:"principal"`
				Action    string `json:"action"`
			}
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			want := struct {
				Principal string `json:"principal"`
				Action    string `json:"action"`
			}{"arn:aws:iam::123456789012:user/u9876", "s3:GetObject"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestErrorsTerminalSafe: an error echoing the input (here the file name
// of --cloudtrail-event) shows its control characters and bidi overrides
// escaped.
func TestErrorsTerminalSafe(t *testing.T) {
	name := filepath.Join(t.TempDir(), "ev\x1b[2J\u202e.json")
	var out, errb bytes.Buffer
	if code := run([]string{"decode", "--cloudtrail-event", name}, strings.NewReader(""), &out, &errb); code != exitFailure {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if strings.ContainsAny(errb.String(), "\x1b\u202e") || !strings.Contains(errb.String(), `ev\x1b[2J\u202e.json`) {
		t.Errorf("stderr %q", errb.String())
	}
}
