package fakeaws_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamdiag/iamdiag/internal/fakeaws"
	"github.com/iamdiag/iamdiag/internal/layers"
)

// A test serves a snapshot, points an SDK client at it and reads the
// counters afterwards.
func Example() {
	snap, err := layers.Load(strings.NewReader(`{"format":"iamdiag-snapshot/v1","account_id":"111122223333","authorization_details":{}}`))
	if err != nil {
		panic(err)
	}
	srv := fakeaws.New(snap, fakeaws.Options{
		CallerARN: "arn:aws:sts::111122223333:assumed-role/Deploy/jane",
		Throttle:  map[string]int{"GetCallerIdentity": 1}, // the SDK retries
	})
	url := srv.Start()
	defer srv.Close()

	client := sts.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAFAKE", "fake", ""),
		BaseEndpoint: aws.String(url), // or AWS_ENDPOINT_URL with config.LoadDefaultConfig
	})
	out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		panic(err)
	}
	fmt.Println(aws.ToString(out.Arn))
	fmt.Println(srv.Calls()["GetCallerIdentity"], "calls,", srv.RoundTrips(), "round trips")
	// Output:
	// arn:aws:sts::111122223333:assumed-role/Deploy/jane
	// 2 calls, 2 round trips
}
