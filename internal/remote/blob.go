package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"
)

// Network limits: a remote that does not answer must end in an error within
// seconds, never a hang. The SDK retries throttling, 5xx answers and broken
// connections with jittered backoff.
const (
	dialTimeout        = 5 * time.Second
	responseTimeout    = 30 * time.Second
	maxAttempts        = 4
	maxBackoff         = 4 * time.Second
	partSize           = 16 << 20 // multipart upload part
	partsInFlight      = 4        // parts of one object uploaded at once
	connectionsPerHost = 64
)

// missingDriver names the build tag that adds the driver of scheme, when
// this build left it out. Their SDKs double the start-up time of every git
// dds command, hooks included, and most teams use S3 or a folder.
func missingDriver(scheme string) (tag string, missing bool) {
	switch scheme {
	case "gs":
		return "gcs", !gcsBuilt
	case "azblob":
		return "azure", !azureBuilt
	}
	return "", false
}

// blobBackend is a bucket through gocloud.dev/blob: S3 and S3-compatible
// servers, GCS and Azure behind one API.
type blobBackend struct {
	bucket *blob.Bucket
}

// openBlob opens the bucket of loc. Credentials come from the provider's
// usual environment variables, files and roles; git dds never sees them
// written anywhere of its own.
func openBlob(ctx context.Context, loc Location, cfg Config) (*blobBackend, error) {
	var bucket *blob.Bucket
	var err error
	switch loc.Scheme {
	case "s3":
		bucket, err = openS3(ctx, loc, cfg)
	default:
		if cfg.Endpoint != "" {
			return nil, configError{fmt.Errorf("git config dds.remote.%s.endpoint applies to s3:// remotes only", cfg.Name)}
		}
		if tag, missing := missingDriver(loc.Scheme); missing {
			return nil, configError{fmt.Errorf("this git-dds was built without %s:// remotes; build it with go build -tags %s ./cmd/git-dds", loc.Scheme, tag)}
		}
		bucket, err = blob.OpenBucket(ctx, loc.Scheme+"://"+loc.Bucket)
	}
	if err != nil {
		return nil, err
	}
	if loc.Prefix != "" {
		bucket = blob.PrefixedBucket(bucket, loc.Prefix+"/")
	}
	return &blobBackend{bucket: bucket}, nil
}

func openS3(ctx context.Context, loc Location, cfg Config) (*blob.Bucket, error) {
	httpClient := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = dialTimeout }).
		WithTransportOptions(func(t *http.Transport) {
			t.ResponseHeaderTimeout = responseTimeout
			t.MaxIdleConnsPerHost = connectionsPerHost
		})
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithHTTPClient(httpClient),
		// Failures come back as errors, which say it once; the SDK's own
		// log lines would say it again, mid-progress bar.
		awsconfig.WithLogger(logging.Nop{}),
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				o.MaxBackoff = maxBackoff
				// The client-side retry quota would turn a burst of
				// parallel failures into errors of its own.
				o.RateLimiter = ratelimit.None
			})
		}),
	}
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("reading the AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		// S3-compatible servers take any region; AWS redirects.
		awsCfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			o.UsePathStyle = true
		}
		// Every download is checked against its BLAKE3 id, and the
		// transport's own checksums cost a second pass over the bytes.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return s3blob.OpenBucket(ctx, client, loc.Bucket, &s3blob.Options{
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	})
}

func (b *blobBackend) Exists(ctx context.Context, key string) (bool, error) {
	return b.bucket.Exists(ctx, key)
}

func (b *blobBackend) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := b.bucket.NewReader(ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, fmt.Errorf("%s: %w", key, ErrNotExist)
	}
	return r, err
}

func (b *blobBackend) Write(ctx context.Context, key string, r io.Reader, size int64) error {
	return b.write(ctx, key, r, &blob.WriterOptions{
		ContentType: "application/octet-stream",
		BufferSize:  partSize,
		// One part per request for small objects; large ones go up in
		// parts, several at once.
		MaxConcurrency: partsInFlight,
	})
}

func (b *blobBackend) Create(ctx context.Context, key string, data []byte) error {
	err := b.write(ctx, key, bytes.NewReader(data), &blob.WriterOptions{
		ContentType: "application/json",
		IfNotExist:  true,
	})
	if gcerrors.Code(err) == gcerrors.FailedPrecondition {
		return fmt.Errorf("%s: %w", key, ErrExists)
	}
	return err
}

// write uploads r to key. A failed upload is aborted rather than completed:
// gocloud commits whatever was written when a writer is closed, unless its
// context is cancelled first.
func (b *blobBackend) write(ctx context.Context, key string, r io.Reader, opts *blob.WriterOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.bucket.NewWriter(ctx, key, opts)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		cancel()
		return errors.Join(err, ignoreCanceled(w.Close()))
	}
	return w.Close()
}

func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) || gcerrors.Code(err) == gcerrors.Canceled {
		return nil
	}
	return err
}

func (b *blobBackend) Delete(ctx context.Context, key string) error {
	err := b.bucket.Delete(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return err
}

// nextObject is it.Next, with a panic of the bucket driver turned into an
// error: gocloud's S3 driver dereferences fields of a listing (each
// object's LastModified) that a broken or hostile server may leave out,
// and a listing is input from outside like any other.
func nextObject(ctx context.Context, it *blob.ListIterator) (obj *blob.ListObject, err error) {
	defer func() {
		if r := recover(); r != nil {
			obj, err = nil, fmt.Errorf("the server sent a listing the bucket driver cannot read (a field such as an object's LastModified is missing: %v); check that the server speaks S3's ListObjectsV2", r)
		}
	}()
	return it.Next(ctx)
}

func (b *blobBackend) List(ctx context.Context, prefix string, fn func(key string, size int64, written time.Time) error) error {
	err := b.listObjects(ctx, prefix, func(o Object) error { return fn(o.Key, o.Size, o.Written) })
	var stop stopError
	if errors.As(err, &stop) {
		return stop.error
	}
	return err
}

func (b *blobBackend) Close() error { return b.bucket.Close() }
