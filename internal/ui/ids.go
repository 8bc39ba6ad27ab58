package ui

// ShortID abbreviates a signature, or any other id, to the 12 hex digits
// status prints: enough to tell one from another in a repository.
func ShortID(id string) string { return abbreviate(id, 12) }

// ShortCommit abbreviates a git object id to 7 hex digits, as git log
// --oneline does, where it stands next to git's own output.
func ShortCommit(id string) string { return abbreviate(id, 7) }

func abbreviate(id string, n int) string {
	if len(id) > n {
		return id[:n]
	}
	return id
}
