package signature

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Input is one item that went into a signature, kept with the record so that
// a later signature can say what changed since.
type Input struct {
	Kind  string `json:"kind"`  // cmd, wdir, out, dep, stage, param, env: see the Kind constants
	Name  string `json:"name"`  // path, "file:key", variable or stage name; "" for cmd/wdir
	Value string `json:"value"` // object id, canonical JSON, quoted value or upstream signature
}

// Output is one declared output of a computation as it sits in the store.
type Output struct {
	Path      string `json:"path"`
	ContentID string `json:"content_id"` // BLAKE3 of the bytes, or of the manifest for a folder
	Size      int64  `json:"size"`       // bytes; for a folder the sum of its files
	Dir       bool   `json:"dir,omitempty"`
}

// ExternalOutput is one output a computation wrote to the lake: where,
// and what the listing of that prefix held once the command was done.
type ExternalOutput struct {
	Name string `json:"name"`
	// URI is the prefix of the attempt that was recorded:
	// <lake>/<sig[:2]>/<sig>/<attempt>/<name>/.
	URI     string `json:"uri"`
	Attempt string `json:"attempt"` // 16 hex digits
	Format  string `json:"format"`
	Count   int64  `json:"count"`  // objects
	Bytes   int64  `json:"bytes"`  // their sizes added up
	Digest  string `json:"digest"` // BLAKE3 of the sorted keys, sizes and ETags
	// Pointer is a table's version, a key relative to URI: the newest
	// _delta_log entry or Iceberg metadata file; "" for files and parquet.
	Pointer string `json:"pointer,omitempty"`
}

// Record is one computation: what a signature produced.
type Record struct {
	Signature string   `json:"signature"`
	Stage     string   `json:"stage"`
	Outputs   []Output `json:"outputs"`
	// External are the outputs written to the lake, by name; a record
	// without them reads as before.
	External []ExternalOutput `json:"external,omitempty"`
	Duration time.Duration    `json:"duration_ns"`
	Inputs   []Input          `json:"inputs"`
	Commit   string           `json:"commit,omitempty"` // HEAD when first computed
	Host     string           `json:"host"`
	Time     time.Time        `json:"time"`
	// Audit is what git dds run --audit saw the command read that its
	// signature does not cover; nil when the run was not audited.
	Audit *Audit `json:"audit,omitempty"`
	// CutOff, when set, says this computation was not run but taken from
	// another one: its inputs differ only in upstream stages that wrote
	// the same bytes (see ContentKey). Records without it read as before.
	CutOff *CutOff `json:"cut_off,omitempty"`
}

// CutOff is why a record reuses another computation's outputs.
type CutOff struct {
	// Signature is the computation whose outputs were reused.
	Signature string `json:"signature"`
	// Upstream names the upstream stages whose signature moved between the
	// two computations while their outputs stayed byte for byte the same.
	Upstream []string `json:"upstream"`
}

// Audit is what an audited run of a stage read beyond its declared deps.
type Audit struct {
	// Undeclared are the reads inside the repository that no dep, params
	// file or output of the stage covers, at most MaxUndeclared, by path.
	Undeclared []Undeclared `json:"undeclared,omitempty"`
	// Omitted counts those left out beyond MaxUndeclared.
	Omitted int `json:"omitted,omitempty"`
	// Outside counts the files read outside the repository.
	Outside int `json:"outside,omitempty"`
}

// Undeclared is one read the signature does not cover.
type Undeclared struct {
	Path string `json:"path"` // repository-relative
	// Kind says what the file is: another stage's output, a tracked file,
	// or a file git does not track.
	Kind string `json:"kind"`
	// Stage is the stage that writes Path, for KindOutput.
	Stage string `json:"stage,omitempty"`
}

// The kinds of an undeclared read.
const (
	UndeclaredOutput    = "output"    // another stage's output: order and signature both wrong
	UndeclaredTracked   = "tracked"   // a tracked file: a dep is missing
	UndeclaredUntracked = "untracked" // untracked or ignored: no signature can cover it
)

// MaxUndeclared bounds the undeclared reads a record keeps: enough to
// name every one a stage has in practice, few enough that a stage reading
// a whole tree it does not declare keeps a short record.
const MaxUndeclared = 256

// Bounds of a record read from elsewhere (a remote, another clone's
// index): far above what any pipeline declares, low enough that a forged
// record cannot make a reader allocate without end.
const (
	// MaxOutputs bounds the outputs of one record.
	MaxOutputs = 1 << 16
	// MaxInputs bounds the inputs of one record.
	MaxInputs = 1 << 20
	// MaxOutputSize bounds the size a record states for one output (1 PiB),
	// so that sums of sizes cannot overflow.
	MaxOutputSize = 1 << 50
	// maxPathLength is the longest output path (Linux's PATH_MAX), as
	// dds.yaml allows.
	maxPathLength = 4096
	// maxNameLength bounds the stage name, host and commit a record
	// carries for messages.
	maxNameLength = 1024
	// MaxExternalObjects bounds the objects of one external output, as a
	// listing of the lake is bounded.
	MaxExternalObjects = 1_000_000
	// maxKeyLength bounds a key in the lake, as S3 does.
	maxKeyLength = 1024
)

// Written is what the computation wrote: its local outputs' sizes and
// its external outputs' bytes, added up (each is bounded, so the sum of a
// checked record cannot overflow).
func (rec *Record) Written() int64 {
	var n int64
	for _, o := range rec.Outputs {
		n += o.Size
	}
	for _, o := range rec.External {
		n += o.Bytes
	}
	return n
}

// ExternalFormats are the formats an external output may have.
var ExternalFormats = []string{"files", "parquet", "delta", "iceberg"}

// CheckRecord checks what a record says on its own, before anyone turns
// it into a path, an allocation or a message: a 64-hex signature, a stage
// name and host fit to print, outputs at clean relative paths outside
// .git, each named once and none inside another, well-formed content ids,
// sizes within bounds. Whether the outputs are the stage's declared ones
// is for the caller, which knows the stage.
func CheckRecord(rec *Record) error {
	if rec == nil {
		return errors.New("the record is empty")
	}
	if !isHex64(rec.Signature) {
		return fmt.Errorf("signature %q is not 64 lowercase hex digits", clip(rec.Signature))
	}
	if rec.Stage == "" || strings.Contains(rec.Stage, "/") || !printable(rec.Stage) {
		return fmt.Errorf("stage name %q is empty, too long, or holds a '/' or a control character", clip(rec.Stage))
	}
	if !printable(rec.Host) || !printable(rec.Commit) {
		return errors.New("its host or commit is too long or holds a control character")
	}
	if len(rec.Outputs) > MaxOutputs {
		return fmt.Errorf("it has %d outputs, over %d", len(rec.Outputs), MaxOutputs)
	}
	if len(rec.Inputs) > MaxInputs {
		return fmt.Errorf("it has %d inputs, over %d", len(rec.Inputs), MaxInputs)
	}
	if rec.Duration < 0 {
		return fmt.Errorf("its duration %d is negative", rec.Duration)
	}
	if err := checkAudit(rec.Audit); err != nil {
		return err
	}
	if err := checkCutOff(rec.CutOff); err != nil {
		return err
	}
	paths := make([]string, 0, len(rec.Outputs))
	for _, o := range rec.Outputs {
		if err := CheckOutputPath(o.Path); err != nil {
			return err
		}
		if !isHex64(o.ContentID) {
			return fmt.Errorf("output %s has content id %q, not 64 lowercase hex digits", o.Path, clip(o.ContentID))
		}
		if o.Size < 0 || o.Size > MaxOutputSize {
			return fmt.Errorf("output %s has size %d, outside 0 to %d", o.Path, o.Size, int64(MaxOutputSize))
		}
		paths = append(paths, o.Path)
	}
	if err := checkExternal(rec.Signature, rec.External); err != nil {
		return err
	}
	slices.Sort(paths)
	for i := 1; i < len(paths); i++ {
		if paths[i] == paths[i-1] {
			return fmt.Errorf("output %s is named twice", paths[i])
		}
		if strings.HasPrefix(paths[i], paths[i-1]+"/") {
			return fmt.Errorf("output %s is inside output %s", paths[i], paths[i-1])
		}
	}
	return nil
}

// checkExternal checks the external outputs of a record of sig: each
// named once, with a URI that ends in the prefix of its attempt at this
// signature (<sig[:2]>/<sig>/<attempt>/<name>/) under a bucket or folder
// URL, a known format, counts within bounds, a 64-hex digest and a
// pointer that is a clean key. Whether the URI is under this clone's lake
// is for the caller, which knows the lake.
func checkExternal(sig string, outs []ExternalOutput) error {
	if len(outs) > MaxOutputs {
		return fmt.Errorf("it has %d external outputs, over %d", len(outs), MaxOutputs)
	}
	seen := make(map[string]bool, len(outs))
	for _, o := range outs {
		if !isVarName(o.Name) || len(o.Name) > maxNameLength {
			return fmt.Errorf("external output name %q is not a name of letters, digits and '_'", clip(o.Name))
		}
		if seen[o.Name] {
			return fmt.Errorf("external output %s is named twice", o.Name)
		}
		seen[o.Name] = true
		if len(o.Attempt) != 16 || strings.Trim(o.Attempt, "0123456789abcdef") != "" {
			return fmt.Errorf("external output %s has attempt %q, not 16 lowercase hex digits", o.Name, clip(o.Attempt))
		}
		suffix := "/" + sig[:2] + "/" + sig + "/" + o.Attempt + "/" + o.Name + "/"
		root, ok := strings.CutSuffix(o.URI, suffix)
		if !ok || len(o.URI) > maxPathLength || !printable(root) || strings.ContainsAny(root, "?#") {
			return fmt.Errorf("external output %s has URI %q, which is not its attempt's prefix (ROOT%s)", o.Name, clip(o.URI), suffix)
		}
		scheme, rest, ok := strings.Cut(root, "://")
		if !ok || !slices.Contains([]string{"s3", "gs", "azblob", "file"}, scheme) || rest == "" || strings.Contains(rest, "@") {
			return fmt.Errorf("external output %s has URI %q, not under an s3://, gs://, azblob:// or file:// lake", o.Name, clip(o.URI))
		}
		for seg := range strings.SplitSeq(strings.TrimPrefix(rest, "/"), "/") {
			if seg == "" || seg == "." || seg == ".." {
				return fmt.Errorf("external output %s has URI %q, whose lake is no clean path", o.Name, clip(o.URI))
			}
		}
		if !slices.Contains(ExternalFormats, o.Format) {
			return fmt.Errorf("external output %s has format %q, not one of %s", o.Name, clip(o.Format), strings.Join(ExternalFormats, ", "))
		}
		if o.Count < 1 || o.Count > MaxExternalObjects || o.Bytes < 0 || o.Bytes > MaxOutputSize {
			return fmt.Errorf("external output %s has %d objects of %d bytes, outside 1 to %d objects and 0 to %d bytes",
				o.Name, o.Count, o.Bytes, MaxExternalObjects, int64(MaxOutputSize))
		}
		if !isHex64(o.Digest) {
			return fmt.Errorf("external output %s has digest %q, not 64 lowercase hex digits", o.Name, clip(o.Digest))
		}
		if o.Pointer != "" {
			if len(o.Pointer) > maxKeyLength || !printable(o.Pointer) || strings.Contains(o.Pointer, `\`) {
				return fmt.Errorf("external output %s has pointer %q, which is no key", o.Name, clip(o.Pointer))
			}
			for seg := range strings.SplitSeq(o.Pointer, "/") {
				if seg == "" || seg == "." || seg == ".." {
					return fmt.Errorf("external output %s has pointer %q, which is no clean key", o.Name, clip(o.Pointer))
				}
			}
		}
	}
	return nil
}

// isVarName admits [A-Za-z_][A-Za-z0-9_]*, the names of external outputs.
func isVarName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == ""
}

// checkAudit bounds what a record says a run read: shown in messages, it
// must be short, printable and inside the repository.
func checkAudit(a *Audit) error {
	if a == nil {
		return nil
	}
	if len(a.Undeclared) > MaxUndeclared {
		return fmt.Errorf("its audit names %d undeclared reads, over %d", len(a.Undeclared), MaxUndeclared)
	}
	if a.Omitted < 0 || a.Outside < 0 {
		return errors.New("its audit has a negative count")
	}
	for _, u := range a.Undeclared {
		if err := CheckOutputPath(u.Path); err != nil {
			return fmt.Errorf("its audit names a read whose %w", err)
		}
		switch u.Kind {
		case UndeclaredOutput:
			if u.Stage == "" || strings.Contains(u.Stage, "/") || !printable(u.Stage) {
				return fmt.Errorf("its audit names the output %s of a stage %q that is empty, too long, or holds a '/' or a control character", u.Path, clip(u.Stage))
			}
		case UndeclaredTracked, UndeclaredUntracked:
			if u.Stage != "" {
				return fmt.Errorf("its audit names a stage for the %s read %s", u.Kind, u.Path)
			}
		default:
			return fmt.Errorf("its audit names the read %s of unknown kind %q", u.Path, clip(u.Kind))
		}
	}
	return nil
}

// checkCutOff checks what a record says it was cut off from, which run
// and status print: a signature, and upstream stage names fit to show.
func checkCutOff(c *CutOff) error {
	if c == nil {
		return nil
	}
	if !isHex64(c.Signature) {
		return fmt.Errorf("it is cut off from signature %q, not 64 lowercase hex digits", clip(c.Signature))
	}
	if len(c.Upstream) == 0 || len(c.Upstream) > MaxInputs {
		return fmt.Errorf("it is cut off with %d upstream stages named, not 1 to %d", len(c.Upstream), MaxInputs)
	}
	for _, name := range c.Upstream {
		if name == "" || strings.Contains(name, "/") || !printable(name) {
			return fmt.Errorf("it is cut off on upstream stage %q, empty, too long, or holding a '/' or a control character", clip(name))
		}
	}
	return nil
}

// CheckForeignInputs checks the inputs of a record from elsewhere (a
// remote), which status -v shows as the reasons a stage changed: each of a
// known kind, and every name and value that is shown as it is free of
// control characters, so that a forged record cannot write terminal
// escapes into a message. Commands and working directories are shown
// quoted, and may hold any byte.
func CheckForeignInputs(inputs []Input) error {
	for i, in := range inputs {
		if _, ok := tagOfKind(in.Kind); !ok {
			return fmt.Errorf("input %d has unknown kind %q", i, clip(in.Kind))
		}
		shownRaw := in.Kind != KindCmd && in.Kind != KindWdir
		if !printable(in.Name) || shownRaw && strings.ContainsFunc(in.Value, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return fmt.Errorf("input %d (%s %q) holds a control character", i, in.Kind, clip(in.Name))
		}
	}
	return nil
}

// CheckOutputPath admits the output paths dds.yaml can declare: relative,
// slash-separated and clean, with no empty, "." or ".." segment, no ".git"
// segment in any case (git's own folder, or a nested repository whose
// config git would obey), no control character and no backslash. Such a
// path joined to the repository root names a place inside it, outside
// .git.
func CheckOutputPath(p string) error {
	bad := func(why string) error {
		return fmt.Errorf("output path %q %s", clip(p), why)
	}
	switch {
	case p == "":
		return bad("is empty")
	case len(p) > maxPathLength:
		return bad(fmt.Sprintf("is longer than %d bytes", maxPathLength))
	case strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }):
		return bad("holds a control character or a backslash")
	case strings.HasPrefix(p, "/"):
		return bad("is absolute")
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch {
		case seg == "" || seg == ".":
			return bad("is not clean (an empty or '.' segment)")
		case seg == "..":
			return bad("leaves the repository (a '..' segment)")
		case strings.EqualFold(seg, ".git"):
			return bad("points into .git")
		}
	}
	return nil
}

func isHex64(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

// printable admits short strings without control characters: what a
// message can show as it is.
func printable(s string) bool {
	return len(s) <= maxNameLength && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// clip shortens a hostile string for a message.
func clip(s string) string {
	const longest = 80
	if len(s) > longest {
		return s[:longest] + "..."
	}
	return s
}

// recordVersion is the version of the layout EncodeRecord writes.
const recordVersion = 1

// storedRecord is a Record as the index keeps it, with the version of its
// encoding.
type storedRecord struct {
	Version int `json:"v"`
	*Record
}

// EncodeRecord writes a record as the index stores it: JSON with the
// version of its layout.
func EncodeRecord(rec *Record) ([]byte, error) {
	data, err := json.Marshal(storedRecord{Version: recordVersion, Record: rec})
	if err != nil {
		return nil, fmt.Errorf("encoding the record of %s: %w", rec.Signature, err)
	}
	return data, nil
}

// DecodeRecord reads a record written by EncodeRecord.
func DecodeRecord(data []byte) (*Record, error) {
	stored := storedRecord{Record: &Record{}}
	if err := json.Unmarshal(data, &stored); err != nil {
		return nil, fmt.Errorf("the record is not valid JSON: %w", err)
	}
	if stored.Version != recordVersion {
		return nil, fmt.Errorf("the record has format version %d; this git dds reads version %d", stored.Version, recordVersion)
	}
	return stored.Record, nil
}
