package fakeaws

import (
	"strings"

	"github.com/iamdiag/iamdiag/internal/layers"
)

// resourceData indexes the snapshot's bucket and key policies.
type resourceData struct {
	buckets map[string]string // bucket name → policy text
	keys    map[string]string // key ARN and key id → policy text
}

func newResourceData(snap *layers.Snapshot) *resourceData {
	d := &resourceData{buckets: map[string]string{}, keys: map[string]string{}}
	for i := range snap.ResourcePolicies {
		rp := &snap.ResourcePolicies[i]
		if rp.Policy.IsZero() {
			// Captured as having no policy.
			continue
		}
		text := docText(rp.Policy)
		switch {
		case strings.HasPrefix(rp.ARN, "arn:aws:s3:::") || strings.Contains(rp.ARN, ":s3:::"):
			// arn:PARTITION:s3:::BUCKET; object ARNs (BUCKET/KEY) have
			// no policy of their own.
			if b := resourceOf(rp.ARN); b != "" && !strings.Contains(b, "/") {
				d.buckets[b] = text
			}
		case strings.Contains(rp.ARN, ":kms:"):
			if id, ok := strings.CutPrefix(resourceOf(rp.ARN), "key/"); ok {
				d.keys[rp.ARN] = text
				d.keys[id] = text
			}
		}
	}
	return d
}

// getBucketPolicy answers GET /BUCKET?policy with the bare policy document
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicy.html).
func (s *Server) getBucketPolicy(rq *request) ([]byte, *apiError) {
	text, ok := s.res.buckets[rq.bucket]
	if !ok {
		return nil, &apiError{Code: "NoSuchBucketPolicy", Message: "The bucket policy does not exist"}
	}
	return []byte(text), nil
}

// kmsOps are the KMS operations served.
var kmsOps = map[string]opHandler{
	"GetKeyPolicy": (*Server).getKeyPolicy,
}

// getKeyPolicy returns a key policy by key id or key ARN
// (https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html).
// Aliases are not resolved: the snapshot does not record them.
func (s *Server) getKeyPolicy(rq *request) (any, *apiError) {
	var in struct {
		KeyID      string `json:"KeyId"`
		PolicyName string `json:"PolicyName"`
	}
	if e := decodeJSON(rq, &in); e != nil {
		return nil, e
	}
	if in.KeyID == "" {
		return nil, &apiError{Code: "ValidationException", Message: "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"}
	}
	name := orDefault(in.PolicyName, "default")
	text, ok := s.res.keys[in.KeyID]
	if !ok || name != "default" {
		return nil, &apiError{Code: "NotFoundException", Message: "Key '" + in.KeyID + "' does not exist"}
	}
	return map[string]string{"Policy": text, "PolicyName": name}, nil
}
