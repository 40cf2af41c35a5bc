package csvin

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// StdinName is the file name OpenFile reads as standard input.
const StdinName = "-"

// maxZstdWindow bounds the memory a zstd frame may ask for. zstd's own
// levels use at most 8 MiB (and 128 MiB with --long): a frame asking for
// more is hostile or not meant for streaming.
const maxZstdWindow = 128 << 20

// Magic numbers of the formats OpenFile recognizes.
var (
	magicGzip    = []byte{0x1f, 0x8b}
	magicZstd    = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicParquet = []byte("PAR1")
)

// kind is what a file holds, as its name says and its first bytes show.
type kind string

const (
	plainCSV    kind = "CSV"
	gzipCSV     kind = "gzip"
	zstdCSV     kind = "zstd"
	parquetFile kind = "Parquet"
)

// kindOfName chooses the format by extension, case-insensitive: .gz and
// .zst are compressed CSV, .parquet is Parquet, anything else plain CSV.
func kindOfName(name string) kind {
	switch lower := strings.ToLower(name); {
	case strings.HasSuffix(lower, ".gz"):
		return gzipCSV
	case strings.HasSuffix(lower, ".zst"):
		return zstdCSV
	case strings.HasSuffix(lower, ".parquet"):
		return parquetFile
	}
	return plainCSV
}

// kindOfMagic says what the first bytes of a file are; plainCSV for any
// text.
func kindOfMagic(start []byte) kind {
	switch {
	case bytes.HasPrefix(start, magicGzip):
		return gzipCSV
	case bytes.HasPrefix(start, magicZstd):
		return zstdCSV
	case bytes.HasPrefix(start, magicParquet):
		return parquetFile
	}
	return plainCSV
}

// OpenFile opens the input called name and reads its header row, as
// OpenReader does, with the format its name gives:
//
//	*.gz       gzip-compressed CSV
//	*.zst      zstd-compressed CSV
//	*.parquet  Parquet: cols name flat string (BYTE_ARRAY) columns; opts
//	           Delimiter and Encoding do not apply
//	otherwise  CSV
//
// The first bytes must agree with the name (a .gz file that is not gzip, a
// .csv file that is zstd): a clear error then beats garbage rows. The name
// "-" reads opts.Stdin (default os.Stdin), whose format is told by its
// first bytes alone; Parquet cannot be read from a stream.
//
// Errors name the file. The Reader must be closed.
func OpenFile(name string, cols Columns, opts Options) (*Reader, error) {
	r, err := openFile(name, cols, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", displayName(name), err)
	}
	r.file = displayName(name)
	return r, nil
}

func displayName(name string) string {
	if name == StdinName {
		return "stdin"
	}
	return name
}

func openFile(name string, cols Columns, opts Options) (*Reader, error) {
	var f io.Reader
	var closer io.Closer
	if name == StdinName {
		f = opts.Stdin
		if f == nil {
			f = os.Stdin
		}
	} else {
		file, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("csvin: %w", err)
		}
		f, closer = file, file
		if kindOfName(name) == parquetFile {
			r, err := openParquet(file, cols, opts)
			if err != nil {
				file.Close()
				return nil, err
			}
			r.closer = file
			return r, nil
		}
	}
	r, err := openStream(name, f, cols, opts)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, err
	}
	r.closer = closer
	return r, nil
}

func openStream(name string, f io.Reader, cols Columns, opts Options) (*Reader, error) {
	if opts.OnRead != nil {
		f = &countingReader{r: f, onRead: opts.OnRead}
	}
	raw := bufio.NewReaderSize(f, bufSize)
	start, err := raw.Peek(len(magicZstd))
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("csvin: read: %w", err)
	}
	got := kindOfMagic(start)
	want := got
	if name != StdinName {
		want = kindOfName(name)
	}
	switch {
	case got == parquetFile && name == StdinName:
		return nil, fmt.Errorf("%w: Parquet cannot be read from stdin: give the file's name", ErrParquet)
	case got != want && want == plainCSV:
		return nil, fmt.Errorf("%w: the file holds %s data but its name does not say so: name it %s", ErrCompression, got, extension(got))
	case got != want:
		return nil, fmt.Errorf("%w: the name ends in %s but the file does not hold %s data", ErrCompression, extension(want), want)
	}
	var text io.Reader = raw
	switch got {
	case gzipCSV:
		zr, err := gzip.NewReader(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", ErrCompression, err)
		}
		text = zr
	case zstdCSV:
		zr, err := zstd.NewReader(raw, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %w", ErrCompression, err)
		}
		// Synchronous (concurrency 1): the decoder starts no goroutine,
		// so a Reader dropped without Close leaks nothing.
		text = zr
	}
	return OpenReader(text, cols, opts)
}

func extension(k kind) string {
	switch k {
	case gzipCSV:
		return ".gz"
	case zstdCSV:
		return ".zst"
	case parquetFile:
		return ".parquet"
	}
	return ".csv"
}

// countingReader reports each read's size to onRead.
type countingReader struct {
	r      io.Reader
	onRead func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.onRead(int64(n))
	return n, err
}
