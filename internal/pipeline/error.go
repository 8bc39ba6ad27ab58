package pipeline

import (
	"strconv"
	"strings"
)

// Error is a problem in dds.yaml: where it is, what is wrong, and what to do.
type Error struct {
	File      string // the pipeline file, as named to Parse
	Line, Col int    // 1-based; 0 when unknown
	Msg       string // what is wrong
	Fix       string // what to do about it
}

// Error formats e as FILE:LINE:COL: MSG; FIX, leaving out what is unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Col > 0 {
			b.WriteString(":" + strconv.Itoa(e.Col))
		}
	}
	b.WriteString(": " + e.Msg)
	if e.Fix != "" {
		b.WriteString("; " + e.Fix)
	}
	return b.String()
}

// position is where something is written in dds.yaml (1-based).
type position struct{ line, col int }

// stagePositions keeps where each part of a stage is written, so that checks
// made after parsing (the DAG, Validate) can point at the offending item.
type stagePositions struct {
	wdir position
	deps []position // parallel to Stage.Deps
	outs []position // parallel to Stage.Outs
	// params is parallel to Stage.Params: a map per stage was most of
	// the positions of a large pipeline.
	params []position
	// extDeps is parallel to Stage.ExtDeps, external parallel to
	// Stage.External.
	extDeps  []position
	external []position
}
