package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"google.golang.org/protobuf/proto"
)

// Badger's MANIFEST is the log of every table each flush and compaction
// created and deleted, and every opening replays it whole, twice (once in
// listedTables). Badger itself rewrites it only past 10,000 deletions:
// an index that git dds opens for every command and hook reaches
// thousands of them within days, and the replays then cost more CPU than
// the rest of a read-only opening. So a writable opening rewrites it once
// it holds rewriteDeletions deletions, before badger opens it: one change
// set creating the tables it lists, as badger's own rewrite writes it.
const (
	rewriteDeletions = 500
	// rewriteName is the name badger's own rewrite uses for the same step.
	rewriteName = "MANIFEST-REWRITE"
	// headerSize is the MANIFEST's magic text and versions, copied as
	// they are, so that the rewrite keeps the format of the file it read.
	headerSize = 8
)

// manifestState is what listedTables read of the MANIFEST.
type manifestState struct {
	tables    map[uint64]badger.TableManifest
	deletions int
}

func (m *manifestState) listed(id uint64) bool {
	_, ok := m.tables[id]
	return ok
}

// levelZero counts the tables at level 0.
func (m *manifestState) levelZero() int {
	n := 0
	for _, t := range m.tables {
		if t.Level == 0 {
			n++
		}
	}
	return n
}

// rewriteManifest replaces the MANIFEST in dir with one listing m's tables
// alone. The new file is written beside it, synced and read back before
// the rename, so that a kill or a failure at any point leaves one complete
// MANIFEST listing the same tables, old or new (a leftover rewriteName is
// overwritten by the next rewrite, badger's or this one).
func rewriteManifest(dir string, m *manifestState, opt badger.Options) (err error) {
	path := filepath.Join(dir, badger.ManifestFilename)
	header, err := readHeader(path)
	if err != nil {
		return err
	}
	set := &pb.ManifestChangeSet{}
	for _, id := range slices.Sorted(maps.Keys(m.tables)) {
		t := m.tables[id]
		set.Changes = append(set.Changes, &pb.ManifestChange{
			Id:    id,
			Op:    pb.ManifestChange_CREATE,
			Level: uint32(t.Level),
			KeyId: t.KeyID,
			// What badger writes for every table, encrypted or not.
			EncryptionAlgo: pb.EncryptionAlgo_aes,
			Compression:    uint32(t.Compression),
		})
	}
	body, err := proto.Marshal(set)
	if err != nil {
		return err
	}
	buf := append([]byte(nil), header...)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(body)))
	buf = binary.BigEndian.AppendUint32(buf, crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
	buf = append(buf, body...)

	tmp := filepath.Join(dir, rewriteName)
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if err := writeSynced(tmp, buf); err != nil {
		return err
	}
	if err := sameTables(tmp, m, opt); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

func readHeader(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	header := make([]byte, headerSize)
	if _, err := io.ReadFull(f, header); err != nil {
		return nil, err
	}
	return header, nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// sameTables replays the MANIFEST at path as badger will, and checks that
// it lists exactly m's tables.
func sameTables(path string, m *manifestState, opt badger.Options) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	got, _, err := replay(f, opt)
	if err != nil {
		return err
	}
	if !maps.Equal(got.Tables, m.tables) || got.Deletions != 0 {
		return fmt.Errorf("the rewritten %s does not list the tables of the old one", filepath.Base(path))
	}
	return nil
}

// replay is badger.ReplayManifestFile, with its panics (on a damaged
// file) made errors.
func replay(f *os.File, opt badger.Options) (m badger.Manifest, offset int64, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	return badger.ReplayManifestFile(f, opt.ExternalMagicVersion, opt)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
