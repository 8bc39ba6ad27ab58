//go:build azure

package remote

import _ "gocloud.dev/blob/azureblob" // azblob:// URLs

const azureBuilt = true
