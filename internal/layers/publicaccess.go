package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// maxPublicAccessFile bounds an S3 Block Public Access file: four booleans.
const maxPublicAccessFile = 64 << 10

// ReadPublicAccessBlock reads S3 Block Public Access settings from path:
// what `aws s3api get-public-access-block` or `aws s3control
// get-public-access-block` prints ({"PublicAccessBlockConfiguration":
// {...}}), or the configuration alone. Give the stricter of the bucket's
// and the account's: a setting on at either level is on
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html).
func ReadPublicAccessBlock(path string) (*policy.PublicAccessBlock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading S3 Block Public Access settings: %w", err)
	}
	defer f.Close()
	b, err := readLimited(f, maxPublicAccessFile)
	if err != nil {
		return nil, fmt.Errorf("reading S3 Block Public Access settings %s: %w", path, err)
	}
	pab, err := ParsePublicAccessBlock(b)
	if err != nil {
		return nil, fmt.Errorf("reading S3 Block Public Access settings %s: %w", path, err)
	}
	pab.Origin = "file:" + path
	return pab, nil
}

// publicAccessConfig is PublicAccessBlockConfiguration; a setting absent
// is off, as S3 reads it.
type publicAccessConfig struct {
	BlockPublicAcls       *bool
	IgnorePublicAcls      *bool
	BlockPublicPolicy     *bool
	RestrictPublicBuckets *bool
}

// ParsePublicAccessBlock parses S3 Block Public Access settings, wrapped
// in PublicAccessBlockConfiguration or not.
func ParsePublicAccessBlock(b []byte) (*policy.PublicAccessBlock, error) {
	var wrapped struct {
		PublicAccessBlockConfiguration *publicAccessConfig
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	cfg := (*publicAccessConfig)(nil)
	if err := dec.Decode(&wrapped); err == nil && wrapped.PublicAccessBlockConfiguration != nil {
		cfg = wrapped.PublicAccessBlockConfiguration
	} else {
		var bare publicAccessConfig
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&bare); err != nil {
			return nil, fmt.Errorf("%w: want {\"PublicAccessBlockConfiguration\": {\"BlockPublicAcls\": true, \"IgnorePublicAcls\": true, \"BlockPublicPolicy\": true, \"RestrictPublicBuckets\": true}}: %v", errPublicAccess, err)
		}
		cfg = &bare
	}
	if cfg.BlockPublicAcls == nil && cfg.IgnorePublicAcls == nil && cfg.BlockPublicPolicy == nil && cfg.RestrictPublicBuckets == nil {
		return nil, fmt.Errorf("%w: no setting given (BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets)", errPublicAccess)
	}
	on := func(p *bool) bool { return p != nil && *p }
	return &policy.PublicAccessBlock{BlockPublicAcls: on(cfg.BlockPublicAcls), IgnorePublicAcls: on(cfg.IgnorePublicAcls),
		BlockPublicPolicy: on(cfg.BlockPublicPolicy), RestrictPublicBuckets: on(cfg.RestrictPublicBuckets)}, nil
}

// errPublicAccess marks settings that cannot be read.
var errPublicAccess = errors.New("not S3 Block Public Access settings")
