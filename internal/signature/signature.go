// Package signature computes stage signatures from what a stage reads, and
// defines the record of a computation: what a signature produced. It is
// pure: the badger index that keeps the records is package index.
package signature

import (
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/git-dds/git-dds/internal/blake3"
	"github.com/git-dds/git-dds/internal/gitref"
	"github.com/git-dds/git-dds/internal/pipeline"
)

// Kinds of Input, in the order a signature encodes them.
const (
	KindCmd   = "cmd"   // Value: the command line
	KindWdir  = "wdir"  // Value: the working directory, "" for the repository root
	KindOut   = "out"   // Name: a declared output path
	KindExt   = "ext"   // Name: a declared external output; Value: its format
	KindDep   = "dep"   // Name: a tracked dep path; Value: its git object id
	KindStage = "stage" // Name: an upstream stage; Value: its signature
	KindParam = "param" // Name: "file:key"; Value: canonical JSON
	KindEnv   = "env"   // Name: a variable; Value: EnvValueHash of its value, "" when unset
)

// envHashContext is the BLAKE3 key-derivation context of an env value's
// hash. It is public: every clone must compute the same signatures.
const envHashContext = "git dds 2026-12-02 env value"

// EnvValueHash is what a signature, and so a record, holds for a declared
// variable that is set: the 64-hex-digit BLAKE3 key-derivation hash of its
// name, a NUL and its value, never the value. A record goes to every remote
// and status prints what changed, and a variable may hold a token.
//
// The hash does not keep a guessable value secret: its key is public, and
// whoever holds a record and its signature can test guesses (see
// docs/signatures.md). It keeps a value with enough entropy, such as a
// token, out of every file and message.
func EnvValueHash(name, value string) string {
	var sum [32]byte
	blake3.DeriveKey(envHashContext, []byte(name+"\x00"+value), sum[:])
	return hex.EncodeToString(sum[:])
}

// Env looks up an environment variable's value; ok is false when it is unset.
type Env func(name string) (value string, ok bool)

// Compute gives the signature of st as evaluated in tree, and the inputs it
// covers in encoding order (see docs/signatures.md):
//
//   - cmd, wdir, then each out, sorted: reordering outs in dds.yaml is not a
//     change to the computation; then each external output with its
//     format, sorted by name;
//   - each tracked dep, sorted by path, with its git object id;
//   - each upstream stage, sorted by name, once however many of its outputs
//     st reads: every output of a stage is fixed by its signature, so naming
//     another of them adds nothing;
//   - each declared params key, sorted by file then key, as canonical JSON;
//   - each declared env var, sorted, as the hash of its value, or "" when
//     unset: the value itself is never kept.
//
// The stage's name is left out, so renaming a stage keeps its computations;
// two stages of one pipeline still never share a signature because no two
// stages own the same output.
//
// producer says which stage, if any, outputs a dep path; upstream holds the
// signatures of those stages. A nil env reads the process environment.
func Compute(st *pipeline.Stage, tree gitref.Tree, producer func(path string) (stage string, ok bool), upstream map[string]string, env Env) (sig string, inputs []Input, err error) {
	return NewEvaluator(tree, producer, env).Compute(st, upstream)
}

// Evaluator computes the signatures of many stages of one tree, parsing
// each params file once however many stages declare its keys.
type Evaluator struct {
	tree     gitref.Tree
	producer func(path string) (stage string, ok bool)
	env      Env
	params   map[string]*paramsFile
}

// paramsFile is one params file as an evaluator read it.
type paramsFile struct {
	doc  *yaml.Node // nil for an empty file, and once values are taken out
	keys keyIndex
	err  error // why it could not be read
	// values holds the values Prepare took out, by key; taken says the
	// parsed document was then let go.
	values map[string]paramResult
	taken  bool
}

// paramResult is a params key's canonical JSON, or why it has none.
type paramResult struct {
	json string
	err  error
}

// NewEvaluator prepares signatures of stages evaluated in tree; see Compute.
func NewEvaluator(tree gitref.Tree, producer func(path string) (stage string, ok bool), env Env) *Evaluator {
	if env == nil {
		env = os.LookupEnv
	}
	return &Evaluator{tree: tree, producer: producer, env: env, params: map[string]*paramsFile{}}
}

// Prepare reads the params files that stages declare keys of and takes
// out every declared value, then lets the parsed files go: a pipeline of
// thousands of stages, each with a key of one shared params file, kept its
// parsed tree and the index of its keys alive through the whole
// evaluation, beside the inputs of every stage. A file that cannot be
// read, or a key that has no value, is reported by the Compute that asks
// for it, as without Prepare.
func (e *Evaluator) Prepare(stages []*pipeline.Stage) {
	want := map[string][]string{}
	for _, st := range stages {
		for _, pf := range st.Params {
			want[pf.File] = append(want[pf.File], pf.Keys...)
		}
	}
	for file, keys := range want {
		f := e.loadParams(file)
		if f.err != nil {
			continue
		}
		f.values = make(map[string]paramResult, len(keys))
		for _, key := range keys {
			if _, done := f.values[key]; !done {
				v, err := paramValueCached(f.doc, key, f.keys)
				f.values[key] = paramResult{json: v, err: err}
			}
		}
		f.doc, f.keys, f.taken = nil, nil, true
	}
}

// Compute is the package-level Compute with this evaluator's tree.
func (e *Evaluator) Compute(st *pipeline.Stage, upstream map[string]string) (sig string, inputs []Input, err error) {
	tree, producer, env := e.tree, e.producer, e.env
	// At most one input per declared item, in one allocation: a view
	// keeps every stage's inputs, and a slice grown by appends kept
	// room it never used, and left the copies of each growth behind.
	size := 2 + len(st.Outs) + len(st.External) + len(st.Deps) + len(st.ExtDeps) + len(st.Env)
	for _, pf := range st.Params {
		size += len(pf.Keys)
	}
	inputs = make([]Input, 0, size)
	inputs = append(inputs,
		Input{Kind: KindCmd, Value: st.Cmd},
		Input{Kind: KindWdir, Value: st.Wdir},
	)
	for _, out := range sortedUnique(st.Outs) {
		inputs = append(inputs, Input{Kind: KindOut, Name: out})
	}
	// The lake's root is left out: each environment may point at its
	// own bucket and still share computations by signature.
	for _, ext := range st.External {
		inputs = append(inputs, Input{Kind: KindExt, Name: ext.Name, Value: ext.Format})
	}
	deps, err := depInputs(st, tree, producer, upstream)
	if err != nil {
		return "", nil, err
	}
	inputs = append(inputs, deps...)
	params, err := paramInputs(st, func(file string) error { return e.loadParams(file).err }, e.paramValue)
	if err != nil {
		return "", nil, err
	}
	inputs = append(inputs, params...)
	for _, name := range sortedUnique(st.Env) {
		value := ""
		if v, ok := env(name); ok {
			value = EnvValueHash(name, v)
		}
		inputs = append(inputs, Input{Kind: KindEnv, Name: name, Value: value})
	}
	sig, err = SignatureOf(inputs)
	if err != nil {
		return "", nil, fmt.Errorf("stage %q: %w", st.Name, err)
	}
	return sig, inputs, nil
}

// depInputs gives the tracked deps, then the upstream stages.
func depInputs(st *pipeline.Stage, tree gitref.Tree, producer func(string) (string, bool), upstream map[string]string) ([]Input, error) {
	var tracked []Input
	var upstreamNames []string
	for _, dep := range sortedUnique(st.Deps) {
		if producer != nil {
			if name, ok := producer(dep); ok {
				upstreamNames = append(upstreamNames, name)
				continue
			}
		}
		entry, ok, err := tree.Lookup(dep)
		if err != nil {
			return nil, fmt.Errorf("stage %q: reading dep %q: %w", st.Name, dep, err)
		}
		if !ok {
			return nil, asInput(fmt.Errorf("stage %q depends on %q, which git does not track here: add and commit it, or fix the stage's deps in %s", st.Name, dep, pipeline.FileName))
		}
		tracked = append(tracked, Input{Kind: KindDep, Name: dep, Value: entry.ID})
	}
	// An external output enters as the signature of the stage that
	// writes it, as a local output does: that signature fixes what it holds.
	for _, ext := range st.ExtDeps {
		name, ok := "", false
		if producer != nil {
			name, ok = producer(pipeline.ExtPrefix + ext)
		}
		if !ok {
			return nil, asInput(fmt.Errorf("stage %q depends on ext:%s, which no stage writes: declare it under external: of a stage in %s", st.Name, ext, pipeline.FileName))
		}
		upstreamNames = append(upstreamNames, name)
	}
	for _, name := range sortedUnique(upstreamNames) {
		upstreamSig, ok := upstream[name]
		if !ok {
			return nil, fmt.Errorf("stage %q reads an output of stage %q, whose signature is not known yet: compute signatures in pipeline order", st.Name, name)
		}
		tracked = append(tracked, Input{Kind: KindStage, Name: name, Value: upstreamSig})
	}
	return tracked, nil
}

// paramInputs gives the declared params values, each params file read once.
func paramInputs(st *pipeline.Stage, load func(file string) error, value func(file, key string) (string, error)) ([]Input, error) {
	keysByFile := map[string][]string{}
	for _, pf := range st.Params {
		keysByFile[pf.File] = append(keysByFile[pf.File], pf.Keys...)
	}
	var inputs []Input
	for _, file := range slices.Sorted(maps.Keys(keysByFile)) {
		// A ':' in the file name would make "file:key" ambiguous, both in the
		// signature and wherever git dds names a param to the user.
		if strings.Contains(file, ":") {
			return nil, asInput(fmt.Errorf("stage %q: params file %q has a ':' in its name, which git dds uses to separate a file from its key: rename the file", st.Name, file))
		}
		err := load(file)
		var perr *pipeline.Error
		if errors.As(err, &perr) {
			// FILE:LINE:COL first, as for dds.yaml, where editors and
			// terminals look for it.
			at := *perr
			at.Msg = fmt.Sprintf("params file of stage %q: %s", st.Name, perr.Msg)
			return nil, asInput(&at)
		}
		if err != nil {
			return nil, fmt.Errorf("stage %q: %w", st.Name, err)
		}
		for _, key := range sortedUnique(keysByFile[file]) {
			value, err := value(file, key)
			if err != nil {
				return nil, asInput(fmt.Errorf("stage %q: params file %q, key %q: %w", st.Name, file, key, err))
			}
			inputs = append(inputs, Input{Kind: KindParam, Name: file + ":" + key, Value: value})
		}
	}
	return inputs, nil
}

// sortedUnique gives s sorted, each string once; s itself when it is so
// already, as a stage's few outputs and deps usually are: the callers only
// read it.
func sortedUnique(s []string) []string {
	for i := 1; i < len(s); i++ {
		if s[i-1] >= s[i] {
			return slices.Compact(slices.Sorted(slices.Values(s)))
		}
	}
	return s
}

// loadParams parses a params file once per evaluator. A document is only
// read after parsing, so sharing it between stages is safe.
func (e *Evaluator) loadParams(file string) *paramsFile {
	if f, ok := e.params[file]; ok {
		return f
	}
	doc, err := loadParams(e.tree, file)
	f := &paramsFile{doc: doc, keys: keyIndex{}, err: err}
	e.params[file] = f
	return f
}

// paramValue gives the canonical JSON of key in the params file file, which
// loadParams read.
func (e *Evaluator) paramValue(file, key string) (string, error) {
	f := e.loadParams(file)
	if v, ok := f.values[key]; ok {
		return v.json, v.err
	}
	if f.taken {
		// A key Prepare was not told of: the file is parsed again.
		doc, err := loadParams(e.tree, file)
		if err != nil {
			return "", err
		}
		f.doc, f.keys, f.taken = doc, keyIndex{}, false
	}
	return paramValueCached(f.doc, key, f.keys)
}
