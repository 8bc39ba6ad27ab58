package pipeline

import (
	"bytes"
	"encoding/gob"
	"fmt"
)

// EncodingVersion names the layout Encode writes and the meaning of what
// it holds. Bump it whenever Stage, the positions or what Parse makes of a
// file change: a cache keyed by a file's content must not hand an older
// reading of it to a newer git dds. TestEncodingVersionPinsStage fails
// when Stage changes shape, as a reminder.
const EncodingVersion = 5

// encoded is a Pipeline as Encode writes it: what Parse read from the
// file, before linking.
type encoded struct {
	Version   int
	File      string
	Lake      string
	Publish   string
	Stages    []*Stage
	Positions map[string]encodedPositions
}

type encodedPositions struct {
	Wdir     [2]int
	Deps     [][2]int
	Outs     [][2]int
	Params   map[string][2]int
	ExtDeps  [][2]int
	External [][2]int
}

// Encode writes p in a binary form that Decode reads back four times
// faster than Parse reads the YAML of a large dds.yaml.
func (p *Pipeline) Encode() ([]byte, error) {
	e := encoded{Version: EncodingVersion, File: p.file, Lake: p.Lake, Publish: p.Publish, Stages: p.Stages, Positions: make(map[string]encodedPositions, len(p.positions))}
	for _, s := range p.Stages {
		sp, ok := p.positions[s.Name]
		if !ok || len(sp.params) != len(s.Params) {
			return nil, fmt.Errorf("encoding the pipeline: the positions of stage %q do not match it", s.Name)
		}
		ep := encodedPositions{Wdir: sp.wdir.pair(), Params: make(map[string][2]int, len(sp.params))}
		for _, d := range sp.deps {
			ep.Deps = append(ep.Deps, d.pair())
		}
		for _, o := range sp.outs {
			ep.Outs = append(ep.Outs, o.pair())
		}
		for i, at := range sp.params {
			ep.Params[s.Params[i].File] = at.pair()
		}
		for _, d := range sp.extDeps {
			ep.ExtDeps = append(ep.ExtDeps, d.pair())
		}
		for _, x := range sp.external {
			ep.External = append(ep.External, x.pair())
		}
		e.Positions[s.Name] = ep
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&e); err != nil {
		return nil, fmt.Errorf("encoding the pipeline: %w", err)
	}
	return buf.Bytes(), nil
}

// Decode reads what Encode wrote, by the same version of git dds.
func Decode(data []byte) (*Pipeline, error) {
	var e encoded
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&e); err != nil {
		return nil, fmt.Errorf("decoding a pipeline: %w", err)
	}
	if e.Version != EncodingVersion {
		return nil, fmt.Errorf("decoding a pipeline: encoding version %d, this git dds reads %d", e.Version, EncodingVersion)
	}
	positions := make(map[string]*stagePositions, len(e.Positions))
	for _, s := range e.Stages {
		ep, ok := e.Positions[s.Name]
		if !ok || len(ep.Deps) != len(s.Deps) || len(ep.Outs) != len(s.Outs) ||
			len(ep.ExtDeps) != len(s.ExtDeps) || len(ep.External) != len(s.External) || len(ep.Params) != len(s.Params) {
			return nil, fmt.Errorf("decoding a pipeline: the positions of stage %q do not match it", s.Name)
		}
		sp := &stagePositions{wdir: positionOf(ep.Wdir)}
		for _, d := range ep.Deps {
			sp.deps = append(sp.deps, positionOf(d))
		}
		for _, o := range ep.Outs {
			sp.outs = append(sp.outs, positionOf(o))
		}
		for _, d := range ep.ExtDeps {
			sp.extDeps = append(sp.extDeps, positionOf(d))
		}
		for _, x := range ep.External {
			sp.external = append(sp.external, positionOf(x))
		}
		for _, pf := range s.Params {
			at, ok := ep.Params[pf.File]
			if !ok {
				return nil, fmt.Errorf("decoding a pipeline: the positions of stage %q do not match it", s.Name)
			}
			sp.params = append(sp.params, positionOf(at))
		}
		positions[s.Name] = sp
	}
	p, err := link(e.File, e.Stages, positions)
	if err != nil {
		return nil, fmt.Errorf("decoding a pipeline: %w", err)
	}
	p.Lake = e.Lake
	p.Publish = e.Publish
	return p, nil
}

func (p position) pair() [2]int { return [2]int{p.line, p.col} }

func positionOf(pair [2]int) position { return position{line: pair[0], col: pair[1]} }
