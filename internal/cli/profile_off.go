//go:build !profile

package cli

// startProfile does nothing in a default build; see profile.go.
func startProfile() func() { return func() {} }
