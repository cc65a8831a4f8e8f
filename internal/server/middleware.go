package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"go.uber.org/zap"
)

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxLogger
)

// requestIDHeader carries the request id in and out.
const requestIDHeader = "X-Request-Id"

// requestID returns the request id in ctx, "" outside a request.
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID).(string)
	return id
}

// loggerFrom returns the request's logger (with its request id), or a no-op
// logger outside a request.
func loggerFrom(ctx context.Context) *zap.Logger {
	if l, ok := ctx.Value(ctxLogger).(*zap.Logger); ok {
		return l
	}
	return zap.NewNop()
}

// validRequestID accepts a client's request id when it is short and made of
// characters that are safe in logs and headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// newRequestID returns 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recorder captures the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// handlerFunc is a handler that returns its error for handleError to write.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one endpoint: its method, how it authenticates and whether the
// rate limit applies.
type route struct {
	method string
	// public routes need no bearer token (probes, metrics, Slack, which
	// carries its own signature).
	public bool
	// unlimited routes skip the rate limit (probes and metrics, so that an
	// orchestrator never sees 429).
	unlimited bool
	// json routes read a JSON body: they require Content-Type:
	// application/json (hosts.go).
	json bool
	h    handlerFunc
}

// ServeHTTP is the whole request path: request id, logging and metrics,
// panic recovery, routing, rate limit, authentication, body limit, handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get(requestIDHeader)
	if !validRequestID(id) {
		id = newRequestID()
	}
	log := s.log.With(zap.String("request_id", id))
	ctx := context.WithValue(r.Context(), ctxRequestID, id)
	ctx = context.WithValue(ctx, ctxLogger, log)
	r = r.WithContext(ctx)
	w.Header().Set(requestIDHeader, id)
	if s.draining.Load() {
		// The client reconnects, to another replica, for its next
		// request: no keep-alive connection is left idle for Shutdown to
		// close under a request being sent.
		w.Header().Set("Connection", "close")
	}
	rec := &recorder{ResponseWriter: w}

	rt, name := s.route(r)
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			log.Error("handler panicked", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			if rec.status == 0 {
				handleError(rec, r, &APIError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error: see the server log for the request id", Err: fmt.Errorf("panic: %v", p)})
			}
		}
		d := time.Since(start)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		s.metrics.observeRequest(name, status, d)
		log.Info("request", zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.String("route", name),
			zap.Int("status", status), zap.Duration("duration", d), zap.Int64("bytes", rec.bytes), zap.String("remote", clientKey(r)))
	}()

	if err := s.serve(rec, r, rt); err != nil {
		handleError(rec, r, err)
	}
}

// serve applies the route's checks and calls its handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt *route) error {
	if err := s.checkHost(r); err != nil {
		return err
	}
	if rt == nil {
		return apiError(http.StatusNotFound, "not_found", "no such endpoint: see the README for the API")
	}
	if r.Method != rt.method && !(rt.method == http.MethodGet && r.Method == http.MethodHead) {
		w.Header().Set("Allow", rt.method)
		return apiError(http.StatusMethodNotAllowed, "method_not_allowed", r.URL.Path+" accepts "+rt.method+" only")
	}
	if !rt.unlimited && s.limiter != nil {
		if ok, wait := s.limiter.allow(clientKey(r)); !ok {
			s.metrics.rateLimited.WithLabelValues(r.URL.Path).Inc()
			w.Header().Set("Retry-After", fmt.Sprint(int(wait/time.Second)+1))
			return apiError(http.StatusTooManyRequests, "rate_limited", "too many requests from this client: retry later")
		}
	}
	if !rt.public {
		if err := s.authenticate(r); err != nil {
			return err
		}
	}
	// Without a token, a POST route without a body (/v1/audit/run) also
	// needs the JSON type: a page's simple POST cannot set it.
	if rt.json || (s.cfg.NoAuth && !rt.public && r.Method == http.MethodPost) {
		if err := checkJSON(r); err != nil {
			return err
		}
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	}
	return rt.h(w, r)
}

// authenticate checks the bearer token in constant time. With NoAuth (only
// allowed on loopback) every request passes.
func (s *Server) authenticate(r *http.Request) error {
	if s.cfg.NoAuth {
		return nil
	}
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if h == "" {
		return apiError(http.StatusUnauthorized, "unauthorized", "missing bearer token: send Authorization: Bearer TOKEN")
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return apiError(http.StatusUnauthorized, "unauthorized", "the Authorization header must be Bearer TOKEN")
	}
	// Hashing both sides first gives equal lengths, so the comparison time
	// does not reveal the token's length either.
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	if subtle.ConstantTimeCompare(got[:], s.tokenHash[:]) != 1 {
		return apiError(http.StatusUnauthorized, "unauthorized", "wrong bearer token")
	}
	return nil
}

// clientKey identifies the client for rate limiting and logs: the remote
// IP. X-Forwarded-For is not trusted: anyone can send it.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// readBody reads the request body, turning the body limit into 413.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &APIError{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
				Message: fmt.Sprintf("the request body is larger than %d bytes: send only the error, the event or the policies", mbe.Limit)}
		}
		return nil, &APIError{Status: http.StatusBadRequest, Code: "bad_body", Message: "reading the request body failed", Err: err}
	}
	return b, nil
}

// LoggerFrom returns the logger of the request ctx belongs to, carrying its
// request id; a no-op logger outside a request. The pipeline logs through it.
func LoggerFrom(ctx context.Context) *zap.Logger { return loggerFrom(ctx) }
