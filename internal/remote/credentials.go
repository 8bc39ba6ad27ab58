package remote

import (
	"errors"
	"fmt"
	"os"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// CredentialsError is a remote that refused the credentials it was given,
// or a provider that found none: said in one line, with where the
// credentials come from, instead of the SDK's paragraph.
type CredentialsError struct {
	Where   string
	Trouble string // "refused the credentials (ExpiredToken)"
	From    string // where the provider reads them
}

func (e *CredentialsError) Error() string {
	return fmt.Sprintf("remote %s %s: they come from %s; set them right, or pass --offline to git dds status and run to work without the remote",
		e.Where, e.Trouble, e.From)
}

// refusedCode reports the codes of the answers that say the credentials,
// not the request, are wrong: unknown, expired, revoked, or not allowed in.
func refusedCode(code string) bool {
	switch code {
	case "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidClientTokenId",
		"ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired",
		"InvalidToken", "AccessDenied", "AllAccessDisabled",
		"AuthenticationFailed", "AuthorizationFailure", "InvalidAuthenticationInfo":
		return true
	}
	return false
}

// credentialTrouble says what is wrong with the credentials that err
// shows, or "" when err is about something else.
func credentialTrouble(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) && refusedCode(api.ErrorCode()) {
		return "refused the credentials (" + api.ErrorCode() + ")"
	}
	// An answer to HEAD has no body, hence no code: its status says it.
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() == 403 {
		return "refused the credentials (403 Forbidden)"
	}
	// The SDKs wrap a provider that found nothing in plain text only.
	msg := err.Error()
	for _, s := range []string{
		"failed to retrieve credentials", "failed to refresh cached credentials", "get credentials:",
		"could not find default credentials", "DefaultAzureCredential",
	} {
		if strings.Contains(msg, s) {
			return "found no usable credentials"
		}
	}
	return ""
}

// credentialSources names where the provider of scheme reads credentials.
func credentialSources(scheme string) string {
	switch scheme {
	case "gs":
		return "GOOGLE_APPLICATION_CREDENTIALS, or gcloud auth application-default login"
	case "azblob":
		return "AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, or az login"
	}
	files := "~/.aws/credentials and ~/.aws/config"
	if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
		files = f
		if c := os.Getenv("AWS_CONFIG_FILE"); c != "" {
			files += " and " + c
		}
	}
	return "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or AWS_PROFILE in " + files
}
