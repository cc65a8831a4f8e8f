package decode

import (
	"strings"

	"github.com/iamdiag/iamdiag/internal/policy"
)

// serviceNames maps the service names that SDKs and tools print (the Go SDK's
// service id in "operation error EC2: RunInstances", the Java SDK's
// "(Service: AmazonEC2; …)", Terraform's wording) to the IAM service prefix.
// Keys are normalised by serviceKey: lower case, without spaces, dashes, an
// "amazon"/"aws" prefix or a "v2" suffix. The IAM prefixes are those of the
// Service Authorization Reference
// (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
var serviceNames = map[string]string{
	"acm":                       "acm",
	"apigateway":                "apigateway",
	"applicationautoscaling":    "application-autoscaling",
	"athena":                    "athena",
	"autoscaling":               "autoscaling",
	"backup":                    "backup",
	"bedrock":                   "bedrock",
	"bedrockruntime":            "bedrock",
	"cloudformation":            "cloudformation",
	"cloudfront":                "cloudfront",
	"cloudtrail":                "cloudtrail",
	"cloudwatch":                "cloudwatch",
	"cloudwatchlogs":            "logs",
	"logs":                      "logs",
	"codebuild":                 "codebuild",
	"codecommit":                "codecommit",
	"codedeploy":                "codedeploy",
	"codepipeline":              "codepipeline",
	"cognitoidentityprovider":   "cognito-idp",
	"configservice":             "config",
	"dynamodb":                  "dynamodb",
	"ec2":                       "ec2",
	"ecr":                       "ecr",
	"ecs":                       "ecs",
	"efs":                       "elasticfilesystem",
	"eks":                       "eks",
	"elasticache":               "elasticache",
	"elasticloadbalancing":      "elasticloadbalancing",
	"elb":                       "elasticloadbalancing",
	"eventbridge":               "events",
	"cloudwatchevents":          "events",
	"firehose":                  "firehose",
	"glue":                      "glue",
	"iam":                       "iam",
	"identitymanagement":        "iam",
	"identitystore":             "identitystore",
	"kinesis":                   "kinesis",
	"kms":                       "kms",
	"lambda":                    "lambda",
	"organizations":             "organizations",
	"rds":                       "rds",
	"redshift":                  "redshift",
	"resourcegroupstaggingapi":  "tag",
	"route53":                   "route53",
	"s3":                        "s3",
	"s3control":                 "s3",
	"sagemaker":                 "sagemaker",
	"secretsmanager":            "secretsmanager",
	"securitytokenservice":      "sts",
	"servicequotas":             "servicequotas",
	"ses":                       "ses",
	"simpleemailservice":        "ses",
	"sfn":                       "states",
	"stepfunctions":             "states",
	"sns":                       "sns",
	"sqs":                       "sqs",
	"ssm":                       "ssm",
	"simplesystemsmanagement":   "ssm",
	"ssoadmin":                  "sso",
	"sts":                       "sts",
	"wafv2":                     "wafv2",
	"dynamodbstreams":           "dynamodb",
	"secretsmanagerservice":     "secretsmanager",
	"keymanagementservice":      "kms",
	"simplequeueservice":        "sqs",
	"simplenotificationservice": "sns",
	"elasticcontainerregistry":  "ecr",
	"elasticcontainerservice":   "ecs",
	"elastickubernetesservice":  "eks",
	"elasticcomputecloud":       "ec2",
	"simplestorageservice":      "s3",
	"organizationsservice":      "organizations",
	"cloudwatchlogsservice":     "logs",
	"applicationloadbalancer":   "elasticloadbalancing",
	"elasticfilesystem":         "elasticfilesystem",
	"identitycenter":            "sso",
	"cognitoidentity":           "cognito-identity",
	"xray":                      "xray",
	"appconfig":                 "appconfig",
	"appsync":                   "appsync",
	"batch":                     "batch",
	"emr":                       "elasticmapreduce",
	"elasticmapreduce":          "elasticmapreduce",
	"opensearch":                "es",
	"elasticsearchservice":      "es",
	"mq":                        "mq",
	"kafka":                     "kafka",
	"storagegateway":            "storagegateway",
	"transfer":                  "transfer",
	"guardduty":                 "guardduty",
	"securityhub":               "securityhub",
	"inspector":                 "inspector2",
	"accessanalyzer":            "access-analyzer",
	"costexplorer":              "ce",
	"ce":                        "ce",
	"pricing":                   "pricing",
	"health":                    "health",
	"support":                   "support",
	"ram":                       "ram",
	"servicecatalog":            "servicecatalog",
	"ebs":                       "ebs",
	"imagebuilder":              "imagebuilder",
	"lightsail":                 "lightsail",
	"directoryservice":          "ds",
	"codeartifact":              "codeartifact",
	"codestarconnections":       "codestar-connections",
	"amplify":                   "amplify",
}

// servicePrefix returns the IAM prefix of a printed service name, or "".
// The name is normalised: lower case, without spaces, dashes or an
// "amazon"/"aws" prefix; the Java SDK v1 names some clients with a version
// suffix ("AmazonDynamoDBv2", "AmazonElasticLoadBalancingV2"), tried without
// it when the full name is unknown.
func servicePrefix(name string) string {
	k := strings.ToLower(strings.TrimSpace(name))
	k = strings.NewReplacer(" ", "", "-", "", "_", "").Replace(k)
	for _, p := range []string{"amazon", "aws"} {
		if strings.HasPrefix(k, p) && len(k) > len(p) {
			k = k[len(p):]
		}
	}
	if v, ok := serviceNames[k]; ok {
		return v
	}
	if t := strings.TrimSuffix(k, "v2"); t != k {
		return serviceNames[t]
	}
	return ""
}

// eventSourcePrefix maps a CloudTrail eventSource ("ec2.amazonaws.com") to
// the IAM prefix. Most event sources are the IAM prefix followed by
// ".amazonaws.com"; the exceptions are listed.
func eventSourcePrefix(source string) string {
	host := strings.ToLower(strings.TrimSpace(source))
	host = strings.TrimSuffix(host, ".amazonaws.com")
	if host == "" || strings.ContainsAny(host, " /:") {
		return ""
	}
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/logging_cw_api_calls.html:
	// CloudWatch's events carry eventSource monitoring.amazonaws.com, its
	// IAM prefix is cloudwatch. SES logs as email.amazonaws.com, the
	// Resource Groups Tagging API as tagging.amazonaws.com.
	switch host {
	case "monitoring":
		return "cloudwatch"
	case "email":
		return "ses"
	case "tagging":
		return "tag"
	case "api.ecr":
		return "ecr"
	}
	return host
}

// operationActions lists the API operations whose IAM action has another
// name. S3: https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
// ("Required permissions for Amazon S3 API operations"); Lambda's Invoke
// operation is authorized as lambda:InvokeFunction
// (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
var operationActions = map[string]map[string]string{
	"s3": {
		"ListObjects":                     "ListBucket",
		"ListObjectsV2":                   "ListBucket",
		"HeadBucket":                      "ListBucket",
		"HeadObject":                      "GetObject",
		"ListObjectVersions":              "ListBucketVersions",
		"ListMultipartUploads":            "ListBucketMultipartUploads",
		"ListParts":                       "ListMultipartUploadParts",
		"CreateMultipartUpload":           "PutObject",
		"UploadPart":                      "PutObject",
		"CompleteMultipartUpload":         "PutObject",
		"CopyObject":                      "PutObject",
		"DeleteObjects":                   "DeleteObject",
		"ListBuckets":                     "ListAllMyBuckets",
		"GetBucketEncryption":             "GetEncryptionConfiguration",
		"PutBucketEncryption":             "PutEncryptionConfiguration",
		"GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
		"PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
		"GetBucketReplication":            "GetReplicationConfiguration",
		"PutBucketReplication":            "PutReplicationConfiguration",
		"GetPublicAccessBlock":            "GetBucketPublicAccessBlock",
		"PutPublicAccessBlock":            "PutBucketPublicAccessBlock",
		"GetBucketCors":                   "GetBucketCORS",
		"PutBucketCors":                   "PutBucketCORS",
	},
	"lambda": {
		"Invoke":      "InvokeFunction",
		"InvokeAsync": "InvokeAsync",
	},
}

// actionFor returns the IAM action for an API operation of the service with
// IAM prefix prefix, and whether the name differs from the operation's.
func actionFor(prefix, operation string) (string, bool) {
	if a, ok := operationActions[prefix][operation]; ok && a != operation {
		return prefix + ":" + a, true
	}
	return prefix + ":" + operation, false
}

// arnService returns the service segment of an ARN ("arn:aws:s3:::b" → "s3"),
// or "". An ARN cut short after its service ("arn:aws:s3:") still gives it
// (see policy.ParseARN).
func arnService(arn string) string {
	a, _ := policy.ParseARN(arn)
	return a.Service
}
