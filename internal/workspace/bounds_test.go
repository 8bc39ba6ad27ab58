package workspace

import (
	"testing"

	"github.com/git-dds/git-dds/internal/signature"
	"github.com/git-dds/git-dds/internal/store"
)

// A record may state any size its folder's manifest may add up to, and no
// more: both bounds keep sums of sizes from overflowing.
func TestOutputBoundsAgree(t *testing.T) {
	if signature.MaxOutputSize != store.MaxFolderSize {
		t.Errorf("signature.MaxOutputSize = %d, store.MaxFolderSize = %d", int64(signature.MaxOutputSize), int64(store.MaxFolderSize))
	}
}
