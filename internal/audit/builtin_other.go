//go:build !(linux && (amd64 || arm64))

package audit

import (
	"context"
	"fmt"
)

func findBuiltin(context.Context) (Tracer, error) {
	return nil, fmt.Errorf("%w: the built-in tracer runs on Linux on amd64 and arm64 only", ErrUnavailable)
}
