package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func response403() error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 403}},
		Err:      errors.New("api error Forbidden: Forbidden"),
	}}
}

// Every way a provider says that the credentials are wrong or absent is
// told apart from every other failure, however deeply it is wrapped.
func TestCredentialTrouble(t *testing.T) {
	op := func(err error) error {
		return fmt.Errorf("blob: %w", &smithy.OperationError{ServiceID: "S3", OperationName: "GetObject", Err: err})
	}
	refused := []error{
		op(&smithy.GenericAPIError{Code: "SignatureDoesNotMatch"}),
		op(&smithy.GenericAPIError{Code: "InvalidAccessKeyId"}),
		op(&smithy.GenericAPIError{Code: "ExpiredToken"}),
		op(&smithy.GenericAPIError{Code: "AccessDenied"}),
		op(response403()),
	}
	for _, err := range refused {
		if got := credentialTrouble(err); !strings.HasPrefix(got, "refused the credentials (") {
			t.Errorf("credentialTrouble(%v) = %q, want a refusal", err, got)
		}
	}
	missing := []error{
		op(errors.New("get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found")),
		op(errors.New("failed to retrieve credentials: the SSO session has expired")),
	}
	for _, err := range missing {
		if got := credentialTrouble(err); got != "found no usable credentials" {
			t.Errorf("credentialTrouble(%v) = %q, want none found", err, got)
		}
	}
	others := []error{
		op(&smithy.GenericAPIError{Code: "NoSuchBucket"}),
		op(&smithy.GenericAPIError{Code: "SlowDown"}),
		op(errors.New("dial tcp 127.0.0.1:1: connect: connection refused")),
		context.DeadlineExceeded,
	}
	for _, err := range others {
		if got := credentialTrouble(err); got != "" {
			t.Errorf("credentialTrouble(%v) = %q, want nothing about credentials", err, got)
		}
	}
}

// The line names the remote, the trouble and where credentials come
// from, and never the secret.
func TestCredentialsErrorOneLine(t *testing.T) {
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t-value")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/etc/team/credentials")
	t.Setenv("AWS_CONFIG_FILE", "")
	r := NewWithBackend(Config{Name: "origin", URL: "s3://bucket/team"}, nil)
	err := r.fail("looking up", op403())
	var ce *CredentialsError
	if !errors.As(err, &ce) {
		t.Fatalf("fail(403) = %v, want a CredentialsError", err)
	}
	msg := err.Error()
	for _, want := range []string{"remote origin (s3://bucket/team)", "refused the credentials (403 Forbidden)", "AWS_ACCESS_KEY_ID", "/etc/team/credentials", "--offline"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "\n") || strings.Contains(msg, "Forbidden: Forbidden") {
		t.Errorf("%q holds the secret, several lines or the SDK's text", msg)
	}
	if err := (&Remote{Config: Config{Name: "f", URL: "file:///tmp/x"}}).fail("reading", op403()); errors.As(err, &ce) {
		t.Errorf("a folder remote blamed credentials: %v", err)
	}
}

func op403() error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "HeadObject", Err: response403()}
}

// A remote that cannot be reached is named with the network's own words,
// not the SDK's paragraph around them.
func TestUnreachableSaysItBriefly(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	sdk := fmt.Errorf(`blob (key "records/5d40") (code=Unknown): %w`, &smithy.OperationError{ServiceID: "S3", OperationName: "HeadObject",
		Err: fmt.Errorf("exceeded maximum number of attempts, 4, https response error StatusCode: 0, RequestID: , HostID: , request send failed, Head \"http://127.0.0.1:1/dds/team/records/5d40\": %w", dial)})
	r := NewWithBackend(Config{Name: "origin", URL: "s3://dds/team", Endpoint: "http://127.0.0.1:1"}, nil)
	msg := r.fail("looking up the record of 5d40", sdk).Error()
	want := "remote origin (s3://dds/team at http://127.0.0.1:1): looking up the record of 5d40: dial tcp: connect: connection refused; check that it is reachable"
	if !strings.HasPrefix(msg, want) {
		t.Errorf("the message is\n%s\nwant it to start with\n%s", msg, want)
	}
	for _, noise := range []string{"operation error", "RequestID", "HostID", "code=Unknown"} {
		if strings.Contains(msg, noise) {
			t.Errorf("the message holds %q: %s", noise, msg)
		}
	}
}
