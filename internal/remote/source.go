package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gocloud.dev/blob"
)

// Source is data outside git dds that a pin names: a prefix of a bucket,
// or a folder, opened through the same drivers and settings as a remote.
type Source struct {
	URL      string // s3://bucket/prefix/, gs://, azblob://, file:///path/
	Endpoint string // an S3-compatible server, as dds.remote.NAME.endpoint
	Region   string
}

// SourceObject is one object of a source's listing.
type SourceObject struct {
	Key     string // relative to the source's prefix
	Size    int64
	ETag    string // the store's; for a folder, the modification time
	Version string // the S3 version id, when the bucket keeps versions
}

// ErrTooMany marks a source with more objects than the listing may hold.
var ErrTooMany = errors.New("too many objects")

// ListSource lists every object under src, at most limit of them (more
// wraps ErrTooMany). A bucket that keeps versions gives each object's
// newest version id. The listing is hostile like any remote content: the
// caller checks the keys. A folder's symbolic links are not followed.
func ListSource(ctx context.Context, src Source, limit int) ([]SourceObject, error) {
	loc, err := ParseURL(src.URL)
	if err != nil {
		return nil, err
	}
	cfg := Config{Name: "source", URL: src.URL, Endpoint: src.Endpoint, Region: src.Region}
	if err := checkEndpoint(cfg); err != nil {
		return nil, err
	}
	tooMany := func() error {
		return fmt.Errorf("%s holds more than %d objects: %w", Redact(src.URL), limit, ErrTooMany)
	}
	if loc.Scheme == "file" {
		return listFolder(ctx, filepath.FromSlash(loc.Prefix), limit, tooMany)
	}
	if src.Endpoint != "" && loc.Scheme != "s3" {
		return nil, fmt.Errorf("an endpoint applies to s3:// sources only")
	}
	b, err := openBlob(ctx, Location{Scheme: loc.Scheme, Bucket: loc.Bucket}, cfg)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	prefix := ""
	if loc.Prefix != "" {
		prefix = loc.Prefix + "/"
	}
	var client *s3.Client
	if b.bucket.As(&client) {
		v, err := client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(loc.Bucket)})
		if err == nil && v.Status == s3types.BucketVersioningStatusEnabled {
			return listVersions(ctx, client, loc.Bucket, prefix, limit, tooMany)
		}
	}
	var out []SourceObject
	it := b.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := nextObject(ctx, it)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if obj.IsDir {
			continue
		}
		if len(out) == limit {
			return nil, tooMany()
		}
		o := SourceObject{Key: strings.TrimPrefix(obj.Key, prefix), Size: obj.Size}
		var s3obj s3types.Object
		if obj.As(&s3obj) {
			o.ETag = aws.ToString(s3obj.ETag)
		} else if len(obj.MD5) > 0 {
			o.ETag = fmt.Sprintf("%x", obj.MD5)
		}
		out = append(out, o)
	}
}

// listVersions lists the newest version of every object under prefix. A
// bucket that keeps versions lists the old ones too: they count, at most
// ten times limit, against a listing without end.
func listVersions(ctx context.Context, client *s3.Client, bucket, prefix string, limit int, tooMany func() error) ([]SourceObject, error) {
	var out []SourceObject
	seen := 0
	pages := s3.NewListObjectVersionsPaginator(client, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		seen += len(page.Versions)
		if seen > 10*limit {
			return nil, tooMany()
		}
		for _, v := range page.Versions {
			if !aws.ToBool(v.IsLatest) {
				continue
			}
			if len(out) == limit {
				return nil, tooMany()
			}
			out = append(out, SourceObject{
				Key:     strings.TrimPrefix(aws.ToString(v.Key), prefix),
				Size:    aws.ToInt64(v.Size),
				ETag:    aws.ToString(v.ETag),
				Version: aws.ToString(v.VersionId),
			})
		}
	}
	return out, nil
}

// listFolder lists the files under root. A folder has no ETags: the
// modification time stands for one, which a rewrite changes, as a new
// upload changes an ETag.
func listFolder(ctx context.Context, root string, limit int, tooMany func() error) ([]SourceObject, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", root)
	}
	var out []SourceObject
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil // folders are walked; links and devices are not data
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if len(out) == limit {
			return tooMany()
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out = append(out, SourceObject{
			Key:  filepath.ToSlash(rel),
			Size: info.Size(),
			ETag: "mtime:" + strconv.FormatInt(info.ModTime().UnixNano(), 10),
		})
		return nil
	})
	return out, err
}
