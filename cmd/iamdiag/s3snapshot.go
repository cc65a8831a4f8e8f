package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/iamdiag/iamdiag/internal/layers"
	"github.com/iamdiag/iamdiag/internal/live"
)

// s3Timeout bounds reading a snapshot object: the largest snapshot
// layers.Load accepts, over a slow link.
const s3Timeout = 5 * time.Minute

// parseS3Flag parses flag's s3:// value; a malformed one is a usage error.
func parseS3Flag(flag, value string) (live.S3URL, error) {
	u, err := live.ParseS3URL(value)
	if err != nil {
		return live.S3URL{}, usageErrorf("%s: %v", flag, err)
	}
	return u, nil
}

// s3Object is the snapshot object u through the SDK's S3 client, on the
// command's AWS configuration.
func s3Object(ctx context.Context, u live.S3URL, profile, region string) (live.S3Object, error) {
	cfg, err := credentialedConfig(ctx, profile, region, "")
	if err != nil {
		return live.S3Object{}, err
	}
	return live.S3Object{Client: s3.NewFromConfig(cfg), URL: u}, nil
}

// loadSnapshot reads the single-account snapshot --snapshot names: a file,
// or an S3 object (s3://BUCKET/KEY, read with s3:GetObject).
func loadSnapshot(ctx context.Context, name, profile, region string) (*layers.Snapshot, error) {
	if !live.IsS3URL(name) {
		snap, err := layers.LoadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading --snapshot %s: %w", name, err)
		}
		return snap, nil
	}
	u, err := parseS3Flag("--snapshot", name)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s3Timeout)
	defer cancel()
	obj, err := s3Object(ctx, u, profile, region)
	if err != nil {
		return nil, err
	}
	b, _, err := obj.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading --snapshot: %w", err)
	}
	snap, err := layers.Load(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("reading --snapshot %s: %w", name, err)
	}
	return snap, nil
}
