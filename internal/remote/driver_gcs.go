//go:build gcs

package remote

import _ "gocloud.dev/blob/gcsblob" // gs:// URLs

const gcsBuilt = true
