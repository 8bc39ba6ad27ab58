package signature

import "errors"

// ErrInput marks errors in what the user wrote (a dep git does not track, a
// params file or key that is missing), as opposed to failures to read.
var ErrInput = errors.New("invalid pipeline input")

type inputError struct{ error }

func (e inputError) Is(target error) bool { return target == ErrInput }
func (e inputError) Unwrap() error        { return e.error }

// asInput marks err as the user's to fix.
func asInput(err error) error { return inputError{err} }
