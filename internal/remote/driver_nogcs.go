//go:build !gcs

package remote

const gcsBuilt = false
