package server

import "github.com/iamdiag/iamdiag/internal/report"

// slackMessage is a Slack message as the slash command answers it:
// report's Block Kit message and who sees it.
type slackMessage struct {
	// ResponseType "ephemeral" shows the answer to the engineer who ran
	// the command only.
	ResponseType string `json:"response_type,omitempty"`
	// ReplaceOriginal makes a message posted to response_url replace the
	// acknowledgement.
	ReplaceOriginal *bool `json:"replace_original,omitempty"`
	report.SlackMessage
}

// slackBlocks renders d as the slash command's answer (report.SlackBlocks).
func slackBlocks(d *report.Diagnosis) (*slackMessage, error) {
	m, err := report.SlackBlocks(d)
	if err != nil {
		return nil, err
	}
	return &slackMessage{SlackMessage: *m}, nil
}

func ptr[T any](v T) *T { return &v }
