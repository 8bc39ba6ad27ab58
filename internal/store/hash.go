package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/git-dds/git-dds/internal/blake3"
)

const (
	// chunkSize is large enough that syscalls and channel hand-offs vanish
	// next to the copying and hashing of each chunk, and small enough that a
	// chunk is still in the cache when it is hashed (a copy into the store
	// is faster with 256 KiB chunks than with 1 MiB ones).
	chunkSize = 1 << 18
	// chunksInFlight lets the reader run ahead of the hasher by a few chunks.
	chunksInFlight = 4
	// parallelHashMin is the size from which a file is hashed on every core:
	// below it, starting the goroutines costs more than they save.
	parallelHashMin = 8 << 20
)

// HashFile returns the id the regular file at path would get in the store,
// and its size, without storing anything.
func (s *Store) HashFile(path string) (id string, size int64, err error) {
	return s.hashFile(context.Background(), path)
}

// HashPath returns the id the output at path would get in the store (for a
// folder, its manifest's id) without storing anything, so a caller can tell
// whether a working-tree output still holds what was stored.
func (s *Store) HashPath(ctx context.Context, path string) (id string, size int64, dir bool, err error) {
	info, err := lstatOutput(path)
	if err != nil {
		return "", 0, false, err
	}
	if !info.IsDir() {
		id, size, err = s.hashFile(ctx, path)
		return id, size, false, err
	}
	m, size, err := scanTree(ctx, path, s.hashFile)
	if err != nil {
		return "", 0, true, err
	}
	return hashBytes(EncodeManifest(m)), size, true, nil
}

func (s *Store) hashFile(ctx context.Context, path string) (string, int64, error) {
	if _, err := lstatOutput(path); err != nil {
		return "", 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	id, size, err := hashOpenFile(ctx, f, sizeHint(f))
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	return id, size, nil
}

// hashOpenFile returns the content id of the first size bytes of f, which
// nothing else is writing, and size. A large file is hashed on every core;
// hashCopy, which hashes a stream on one, handles the rest.
func hashOpenFile(ctx context.Context, f *os.File, size int64) (string, int64, error) {
	if size < parallelHashMin {
		return hashCopy(ctx, f, nil, size)
	}
	sum, err := blake3.ParallelSum256(ctx, f, size, runtime.GOMAXPROCS(0))
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(sum[:]), size, nil
}

// lstatOutput stats an output without following a final symbolic link and
// refuses anything but a regular file or folder.
func lstatOutput(path string) (fs.FileInfo, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("read output: %w", err)
	}
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		return nil, fmt.Errorf("%s is a symbolic link: %w", path, ErrSymlink)
	case !info.Mode().IsRegular() && !info.IsDir():
		return nil, fmt.Errorf("%s is a %v, not a regular file or folder: outputs must be one or the other", path, info.Mode().Type())
	}
	return info, nil
}

func hashBytes(b []byte) string {
	sum := blake3.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sizeHint returns f's size for sizing buffers, or 0 when unknown.
func sizeHint(f *os.File) int64 {
	info, err := f.Stat()
	if err != nil {
		return 0
	}
	return info.Size()
}

// hashCopy reads src once, copying it to dst when dst is not nil, and
// returns the content id and byte count. Hashing runs in its own goroutine
// beside the reading and writing, so the slower of the two sets the pace
// rather than their sum.
func hashCopy(ctx context.Context, src io.Reader, dst io.Writer, sizeHint int64) (string, int64, error) {
	bufSize := int(min(max(sizeHint, 4096), chunkSize))
	free := make(chan []byte, chunksInFlight)
	for range chunksInFlight {
		free <- make([]byte, bufSize)
	}
	toHash := make(chan []byte, chunksInFlight)
	hasher := blake3.New()
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for chunk := range toHash {
			_, _ = hasher.Write(chunk) // never fails
			free <- chunk[:cap(chunk)]
		}
	}()

	n, err := pump(ctx, src, dst, free, toHash)
	close(toHash)
	<-hashed
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(hasher.Sum(nil)), n, nil
}

// pump moves src through buffers from free to dst and on to toHash until
// src ends, ctx is done, or a read or write fails.
func pump(ctx context.Context, src io.Reader, dst io.Writer, free <-chan []byte, toHash chan<- []byte) (int64, error) {
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		buf := <-free
		k, readErr := io.ReadFull(src, buf)
		if k > 0 {
			if dst != nil {
				if _, err := dst.Write(buf[:k]); err != nil {
					return n, err
				}
			}
			toHash <- buf[:k]
			n += int64(k)
		}
		switch {
		case readErr == io.EOF || readErr == io.ErrUnexpectedEOF:
			return n, nil
		case readErr != nil:
			return n, readErr
		}
	}
}

// scanTree builds the manifest of the folder root, calling fileID for every
// regular file under it, and returns it with the sum of the file sizes.
// IngestDir and HashPath both go through here, so an ingested folder and a
// hashed one get the same id.
func scanTree(ctx context.Context, root string, fileID func(ctx context.Context, path string) (string, int64, error)) (Manifest, int64, error) {
	var (
		m        Manifest
		total    int64
		folders  []string
		nonEmpty = make(map[string]bool)
	)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if err := checkEntryPath(rel); err != nil {
			return fmt.Errorf("%s cannot be stored: %w", p, err)
		}
		nonEmpty[path.Dir(rel)] = true
		if len(m.Entries)+len(folders) >= MaxManifestEntries {
			return fmt.Errorf("%s holds over %d files and folders, more than git dds stores in one folder output: split it into several outputs", root, MaxManifestEntries)
		}

		switch {
		case d.Type()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link: %w", p, ErrSymlink)
		case d.IsDir():
			folders = append(folders, rel)
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is a %v, not a regular file or folder: outputs must hold only those", p, d.Type())
		}

		info, err := d.Info()
		if err != nil {
			return err
		}
		id, size, err := fileID(ctx, p)
		if err != nil {
			return err
		}
		mode := fileMode
		if info.Mode().Perm()&0o111 != 0 {
			mode = execMode
		}
		m.Entries = append(m.Entries, Entry{Path: rel, Mode: mode, Size: size, ID: id})
		total += size
		return nil
	})
	if err != nil {
		return Manifest{}, 0, err
	}
	for _, folder := range folders {
		if !nonEmpty[folder] {
			m.Entries = append(m.Entries, Entry{Path: folder, Mode: dirMode})
		}
	}
	slices.SortFunc(m.Entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return m, total, nil
}
