// Package s3blobs implements cleanroom/blobs on an S3-compatible object
// store through github.com/minio/minio-go/v7, the only package of the
// module that imports it.
//
// Why minio-go and not the AWS SDK v2: it is one module with a small
// dependency tree, it streams an object of unknown length as a multipart
// upload with a bounded part buffer (PutObject with size -1 and PartSize),
// and it speaks to non-AWS stores (MinIO, versitygw, Ceph, R2) without the
// per-store checksum settings the SDK v2 needs since 2025.
//
// Writes: a Pending streams into a temporary object "<dir>.tmp-<random>"
// through an io.Pipe (the part is verified as it streams, so memory stays
// at one multipart buffer); Commit waits for the upload to finish, copies
// the object server-side to its key and deletes the temporary object. S3
// PUT and copy are atomic (readers see all of an object or none), and the
// store row written after Commit is the commit point. The copy is a new
// object, so a committed object's LastModified is its Commit; the
// temporary object's is the multipart upload's completion or initiation,
// depending on the server (see blobs.Object). A temporary object left by
// a crash between the upload and its removal is garbage the session sweep
// removes.
//
// Configuration is a URL, s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT
// (endpoint omitted: AWS S3 over HTTPS); credentials come from the usual
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), the
// region from AWS_REGION or &region=. The bucket must exist.
package s3blobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/blindjoin/blindjoin/cleanroom/blobs"
)

// ErrConfig reports an unusable s3:// URL.
var ErrConfig = errors.New("s3blobs: invalid configuration")

// partSize is the multipart buffer of one streaming upload: parts up to
// this size go up in one PUT, larger ones in pieces of it.
const partSize = 16 << 20

// Store keeps blobs as objects of one bucket, under an optional key prefix.
type Store struct {
	client *minio.Client
	bucket string
	prefix string // "" or ends in "/"
}

var _ blobs.Store = (*Store)(nil)

// Open configures a store from an s3:// URL (see the package doc). It does
// not contact the server; Ping does.
func Open(rawURL string) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return nil, fmt.Errorf("%w: want s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT", ErrConfig)
	}
	q := u.Query()
	endpoint, secure := "s3.amazonaws.com", true
	if e := q.Get("endpoint"); e != "" {
		eu, err := url.Parse(e)
		if err != nil || (eu.Scheme != "http" && eu.Scheme != "https") || eu.Host == "" {
			return nil, fmt.Errorf("%w: endpoint must be http://HOST:PORT or https://HOST:PORT", ErrConfig)
		}
		endpoint, secure = eu.Host, eu.Scheme == "https"
	}
	region := q.Get("region")
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" || os.Getenv("AWS_SECRET_ACCESS_KEY") == "" {
		return nil, fmt.Errorf("%w: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set", ErrConfig)
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:  credentials.NewEnvAWS(),
		Secure: secure,
		Region: region,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &Store{client: client, bucket: u.Host, prefix: prefix}, nil
}

// object maps a key to its object name, refusing keys the Dir store would
// refuse too, so that a key means the same on both.
func (s *Store) object(key string) (string, error) {
	if !blobs.ValidKey(key) {
		return "", fmt.Errorf("%w: %q", blobs.ErrBadKey, key)
	}
	return s.prefix + key, nil
}

func (s *Store) Create(ctx context.Context, dir string) (blobs.Pending, error) {
	if !strings.HasSuffix(dir, "/") {
		return nil, fmt.Errorf("%w: directory %q does not end in /", blobs.ErrBadKey, dir)
	}
	var r [12]byte
	rand.Read(r[:])
	tmp, err := s.object(dir + blobs.TempMarker + hex.EncodeToString(r[:]))
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	p := &pending{s: s, tmp: tmp, pw: pw, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		_, p.err = s.client.PutObject(ctx, s.bucket, tmp, pr, -1, minio.PutObjectOptions{
			PartSize:    partSize,
			ContentType: "application/octet-stream",
		})
		// Unblock a writer if the upload failed before reading it all.
		pr.CloseWithError(p.err)
	}()
	return p, nil
}

// pending streams into the temporary object tmp.
type pending struct {
	s        *Store
	tmp      string
	pw       *io.PipeWriter
	done     chan struct{}
	err      error // the upload's, valid after done
	finished bool
}

func (p *pending) Write(b []byte) (int, error) {
	n, err := p.pw.Write(b)
	if err != nil {
		return n, fmt.Errorf("s3blobs: upload: %w", err)
	}
	return n, nil
}

func (p *pending) Commit(ctx context.Context, key string) error {
	if p.finished {
		return errors.New("s3blobs: commit after commit or abort")
	}
	p.finished = true
	dst, err := p.s.object(key)
	if err != nil {
		p.abort()
		return err
	}
	p.pw.Close()
	<-p.done
	if p.err != nil {
		p.remove()
		return fmt.Errorf("s3blobs: upload: %w", p.err)
	}
	_, err = p.s.client.CopyObject(ctx,
		minio.CopyDestOptions{Bucket: p.s.bucket, Object: dst},
		minio.CopySrcOptions{Bucket: p.s.bucket, Object: p.tmp})
	p.remove()
	if err != nil {
		return fmt.Errorf("s3blobs: commit: %w", err)
	}
	return nil
}

func (p *pending) Abort() {
	if p.finished {
		return
	}
	p.finished = true
	p.abort()
}

// abort stops the upload and deletes what it stored.
func (p *pending) abort() {
	p.pw.CloseWithError(errAborted)
	<-p.done
	p.remove()
}

var errAborted = errors.New("s3blobs: aborted")

// remove deletes the temporary object; if that fails it stays as garbage
// for the sweep.
func (p *pending) remove() {
	_ = p.s.client.RemoveObject(context.Background(), p.s.bucket, p.tmp, minio.RemoveObjectOptions{})
}

// Open returns the object's reader after checking that the object exists
// (minio-go's GetObject itself reports a missing object only at the first
// Read).
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	name, err := s.object(key)
	if err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("s3blobs: open: %w", err)
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		if minio.ToErrorResponse(err).StatusCode == 404 {
			return nil, fmt.Errorf("%w: %s", blobs.ErrNotFound, key)
		}
		return nil, fmt.Errorf("s3blobs: open: %w", err)
	}
	return obj, nil
}

func (s *Store) Delete(ctx context.Context, key string) error {
	name, err := s.object(key)
	if err != nil {
		return err
	}
	// S3 DELETE of an absent key succeeds.
	if err := s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("s3blobs: delete: %w", err)
	}
	return nil
}

// List reports each object's LastModified as the server lists it; S3
// lists keys in UTF-8 binary order, which is Go's string order, and all
// share s.prefix, so the keys come sorted.
func (s *Store) List(ctx context.Context, prefix string) ([]blobs.Object, error) {
	var objects []blobs.Object
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("s3blobs: list: %w", obj.Err)
		}
		objects = append(objects, blobs.Object{Key: strings.TrimPrefix(obj.Key, s.prefix), Modified: obj.LastModified.UTC()})
	}
	return objects, nil
}

// Ping checks that the bucket exists and the credentials may see it.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("s3blobs: ping: %w", err)
	}
	if !ok {
		return fmt.Errorf("s3blobs: bucket %q does not exist", s.bucket)
	}
	return nil
}
