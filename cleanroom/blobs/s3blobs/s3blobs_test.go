package s3blobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/blindjoin/blindjoin/cleanroom/blobs"
	"github.com/blindjoin/blindjoin/cleanroom/blobs/blobstest"
)

// testEndpointVar names the environment variable holding the http:// URL of
// an S3-compatible server the tests may create buckets on (credentials from
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); .ci/run starts versitygw
// and sets it.
const testEndpointVar = "BLINDJOIN_TEST_S3"

// testStore returns a store on a new, empty bucket, removed at the end of
// the test, with an object prefix so that prefix handling is exercised.
func testStore(t *testing.T) *Store {
	t.Helper()
	endpoint := os.Getenv(testEndpointVar)
	if endpoint == "" {
		t.Skip(testEndpointVar + " is not set: no S3-compatible server to test against (.ci/run starts one)")
	}
	var b [6]byte
	rand.Read(b[:])
	bucket := "blindjoin-test-" + hex.EncodeToString(b[:])
	s, err := Open("s3://" + bucket + "/pre/fix?endpoint=" + url.QueryEscape(endpoint))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for obj := range s.client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
			if obj.Err == nil {
				s.client.RemoveObject(ctx, bucket, obj.Key, minio.RemoveObjectOptions{})
			}
		}
		if err := s.client.RemoveBucket(ctx, bucket); err != nil {
			t.Errorf("removing the test bucket: %v", err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	blobstest.Run(t, func(t *testing.T) blobs.Store { return testStore(t) })
}

// TestPrefix checks that keys live under the URL's prefix in the bucket
// and that List hides it.
func TestPrefix(t *testing.T) {
	s := testStore(t)
	blobstest.Put(t, s, "parts/s/", "parts/s/k", []byte("v"))
	var names []string
	for obj := range s.client.ListObjects(context.Background(), s.bucket, minio.ListObjectsOptions{Recursive: true}) {
		names = append(names, obj.Key)
	}
	if len(names) != 1 || names[0] != "pre/fix/parts/s/k" {
		t.Fatalf("objects in the bucket: %q", names)
	}
}

// TestPingMissingBucket: readiness fails when the bucket is gone.
func TestPingMissingBucket(t *testing.T) {
	s := testStore(t)
	other := *s
	other.bucket = s.bucket + "-absent"
	if err := other.Ping(context.Background()); err == nil {
		t.Fatal("Ping succeeded on a missing bucket")
	}
}

func TestOpenConfig(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "id")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	for _, bad := range []string{
		"", "http://bucket", "s3://", "s3:///path", "s3://b?endpoint=ftp://h:1", "s3://b?endpoint=http://",
	} {
		if _, err := Open(bad); !errors.Is(err, ErrConfig) {
			t.Errorf("Open(%q) = %v, want ErrConfig", bad, err)
		}
	}
	s, err := Open("s3://bucket/a/b/?endpoint=http://127.0.0.1:9000&region=eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if s.bucket != "bucket" || s.prefix != "a/b/" || s.client.EndpointURL().String() != "http://127.0.0.1:9000" {
		t.Fatalf("parsed %q %q %s", s.bucket, s.prefix, s.client.EndpointURL())
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if _, err := Open("s3://bucket"); !errors.Is(err, ErrConfig) {
		t.Fatalf("Open without credentials = %v", err)
	}
}
