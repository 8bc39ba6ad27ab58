package hooks

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Only post-rewrite after an amend goes without the repository, and it
// still reads git's input: a malformed one is a warning, as before.
func TestHandleWithoutWorkspace(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		need bool
	}{
		{PostRewrite, []string{"amend"}, false},
		{PostRewrite, []string{"rebase"}, true},
		{PostRewrite, nil, true},
		{PostRewrite, []string{"amend", "extra"}, true},
		{PostCheckout, []string{"a", "a", "1"}, true},
		{PostMerge, []string{"0"}, true},
		{PostCommit, nil, true},
		{PrePush, []string{"origin", "url"}, true},
	} {
		if got := NeedsWorkspace(tt.name, tt.args); got != tt.need {
			t.Errorf("NeedsWorkspace(%s, %q) = %v, want %v", tt.name, tt.args, got, tt.need)
		}
	}
	old, amended := strings.Repeat("1", 40), strings.Repeat("2", 40)
	for _, tt := range []struct {
		stdin, warning string
	}{
		{old + " " + amended + "\n", ""},
		{"", ""},
		{"not a pair\n", "the post-rewrite hook could not finish"},
	} {
		var stderr bytes.Buffer
		h := &Handler{Stderr: &stderr}
		if err := h.Handle(context.Background(), PostRewrite, []string{"amend"}, strings.NewReader(tt.stdin)); err != nil {
			t.Errorf("Handle(post-rewrite amend, %q) = %v", tt.stdin, err)
		}
		if got := stderr.String(); tt.warning == "" && got != "" || !strings.Contains(got, tt.warning) {
			t.Errorf("Handle(post-rewrite amend, %q) said %q, want %q", tt.stdin, got, tt.warning)
		}
	}
}
