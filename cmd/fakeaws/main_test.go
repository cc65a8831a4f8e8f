package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServe starts the command on the seed example, issues an encoded
// message, and decodes it over HTTP as the SDK would.
func TestServe(t *testing.T) {
	decoded := filepath.Join(t.TempDir(), "decoded.json")
	if err := os.WriteFile(decoded, []byte(`{"allowed":false}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"-snapshot", filepath.Join("..", "..", "examples", "seed", "snapshot.json"), "-encode", decoded}, pw, &stderr)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var out []string
	for len(out) < 2 && lines.Scan() {
		out = append(out, lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if len(out) != 2 || !strings.HasPrefix(out[0], "http://127.0.0.1:") {
		cancel()
		t.Fatalf("stdout %q, stderr %s", out, stderr.String())
	}
	body := "Action=DecodeAuthorizationMessage&Version=2011-06-15&EncodedMessage=" + out[1]
	req, err := http.NewRequest(http.MethodPost, out[0], strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAFAKE/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<DecodedMessage>{&#34;allowed&#34;:false}</DecodedMessage>") {
		t.Errorf("DecodeAuthorizationMessage: %d %s", resp.StatusCode, b)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d, stderr %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "1 calls") {
		t.Errorf("stderr %q lacks the call count", stderr.String())
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no snapshot", nil, 2},
		{"bad flag", []string{"-nope"}, 2},
		{"missing file", []string{"-snapshot", "does-not-exist.json"}, 1},
		{"non-loopback address", []string{"-snapshot", filepath.Join("..", "..", "examples", "seed", "snapshot.json"), "-addr", "0.0.0.0:0"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(context.Background(), tc.args, &out, &errb); code != tc.code {
				t.Errorf("exit %d, want %d (stderr %s)", code, tc.code, errb.String())
			}
		})
	}
}

// TestInnerMessage: -encode takes what `aws sts decode-authorization-message`
// prints as well as the decoded message itself.
func TestInnerMessage(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"CLI output", `{"DecodedMessage": "{\"allowed\":false}"}`, `{"allowed":false}`},
		{"decoded message", `{"allowed":false}`, `{"allowed":false}`},
		{"not JSON", `nope`, `nope`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(innerMessage([]byte(tt.in))); got != tt.want {
				t.Errorf("innerMessage(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}
