package fakeaws

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxObject bounds a PutObject body: far above any snapshot a test writes.
const maxObject = 64 << 20

// objectStore holds the objects PutObject wrote, in memory, by bucket and
// key. Every bucket exists and starts empty. The zero value is ready.
type objectStore struct {
	mu      sync.Mutex
	objects map[string]storedObject // "BUCKET/KEY"
}

// storedObject is one object's content and metadata.
type storedObject struct {
	body        []byte
	etag        string // quoted hex MD5, as S3 gives a single-part upload without SSE-KMS
	contentType string
	modified    time.Time
}

func (o *objectStore) put(bucket, key string, obj storedObject) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.objects == nil {
		o.objects = map[string]storedObject{}
	}
	o.objects[bucket+"/"+key] = obj
}

func (o *objectStore) get(bucket, key string) (storedObject, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	obj, ok := o.objects[bucket+"/"+key]
	return obj, ok
}

// PutObject stores body as BUCKET/KEY, as a PutObject call would: tests
// use it to place a snapshot the client then reads, or to change it.
func (s *Server) PutObject(bucket, key string, body []byte) {
	s.objects.put(bucket, key, newObject(body, "application/json"))
}

// Object returns the content of BUCKET/KEY and its ETag, ok false when no
// such object was written.
func (s *Server) Object(bucket, key string) (body []byte, etag string, ok bool) {
	obj, ok := s.objects.get(bucket, key)
	return obj.body, obj.etag, ok
}

func newObject(body []byte, contentType string) storedObject {
	sum := md5.Sum(body)
	return storedObject{
		body:        append([]byte(nil), body...),
		etag:        `"` + hex.EncodeToString(sum[:]) + `"`,
		contentType: contentType,
		modified:    time.Now().UTC().Truncate(time.Second),
	}
}

// parseObject identifies PutObject (PUT /BUCKET/KEY), GetObject (GET) and
// HeadObject (HEAD), path-style, and reads a PutObject body. It reports
// false for any other request.
func parseObject(r *http.Request, rq *request, key string) (bool, *apiError) {
	if rq.bucket == "" || key == "" || (r.URL.RawQuery != "" && !strings.HasPrefix(r.URL.RawQuery, "x-id=")) {
		// Subresources (?acl, ?tagging …) are not served.
		return false, nil
	}
	rq.key = key
	switch r.Method {
	case http.MethodGet:
		rq.op = "GetObject"
	case http.MethodHead:
		rq.op = "HeadObject"
	case http.MethodPut:
		rq.op = "PutObject"
		if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") || strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
			return true, &apiError{Code: "NotImplemented", Status: http.StatusNotImplemented, Message: "fakeaws: PutObject with an aws-chunked body is not served"}
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, maxObject+1))
		if err != nil {
			return true, &apiError{Code: "IncompleteBody", Message: "fakeaws: reading the object: " + err.Error()}
		}
		if len(b) > maxObject {
			return true, &apiError{Code: "EntityTooLarge", Message: fmt.Sprintf("fakeaws: objects are limited to %d bytes", maxObject)}
		}
		rq.body = b
		rq.ctype = r.Header.Get("Content-Type")
	default:
		return false, nil
	}
	return true, nil
}

// object answers PutObject, GetObject and HeadObject
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html,
// API_GetObject.html, API_HeadObject.html).
func (s *Server) object(rq *request, p s3Proto) *response {
	if rq.op == "PutObject" {
		obj := newObject(rq.body, rq.ctype)
		s.objects.put(rq.bucket, rq.key, obj)
		h := s3Header(rq)
		h.Set("ETag", obj.etag)
		return &response{status: http.StatusOK, header: h}
	}
	obj, ok := s.objects.get(rq.bucket, rq.key)
	if !ok {
		if rq.op == "HeadObject" {
			// HEAD has no body: the SDK sees only the status, as NotFound.
			return &response{status: http.StatusNotFound, header: s3Header(rq)}
		}
		return p.fail(rq, &apiError{Code: "NoSuchKey", Message: "The specified key does not exist."})
	}
	h := s3Header(rq)
	h.Set("ETag", obj.etag)
	h.Set("Content-Length", strconv.Itoa(len(obj.body)))
	h.Set("Last-Modified", obj.modified.Format(http.TimeFormat))
	if obj.contentType != "" {
		h.Set("Content-Type", obj.contentType)
	}
	if rq.op == "HeadObject" {
		return &response{status: http.StatusOK, header: h}
	}
	return &response{status: http.StatusOK, header: h, body: obj.body}
}
