//go:build !azure

package remote

const azureBuilt = false
