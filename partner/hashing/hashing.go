package hashing

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

// MaxLineSize is the longest line read as an identifier, in bytes, without
// its line ending. A longer line is reported, not echoed, and skipped.
const MaxLineSize = 1 << 20

const reasonLineTooLong = "line longer than 1 MiB"

// Stats counts the lines HashLines read.
type Stats struct {
	Lines   int // lines read
	Valid   int // lines with a digest
	Invalid int // lines reported with an error
}

// result is the JSON object written for one line. Input is omitted only for
// a line too long to echo; Normalized and SHA256 are set together, or Error.
type result struct {
	Input      *string `json:"input,omitempty"`
	Normalized string  `json:"normalized,omitempty"`
	SHA256     string  `json:"sha256,omitempty"`
	Error      string  `json:"error,omitempty"`
}

// HashLines reads identifiers of type t from r, one per line (LF or CRLF,
// a last line without newline included, a leading UTF-8 byte order mark
// skipped), and writes one JSON object per line to w. An invalid line never
// stops it: HashLines returns an error only for an unusable type or
// normalizer, or when reading r or writing w fails. Input that is not valid
// UTF-8 is echoed with U+FFFD in place of the bad bytes, so the output is
// always valid JSON.
//
// Output is flushed whenever the input has no more buffered data, so an
// interactive user sees each answer as soon as the line is entered.
func HashLines(r io.Reader, w io.Writer, n identifier.Normalizer, t identifier.Type) (Stats, error) {
	if _, err := identifier.ParseType(string(t)); err != nil {
		return Stats{}, err
	}
	if err := n.Validate(); err != nil {
		return Stats{}, err
	}
	out := bufio.NewWriter(w)
	st, err := hashLines(bufio.NewReaderSize(r, MaxLineSize+len("\r\n")), out, n, t)
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("hashing: write: %w", ferr)
	}
	return st, err
}

func hashLines(in *bufio.Reader, out *bufio.Writer, n identifier.Normalizer, t identifier.Type) (Stats, error) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false) // the output is read by people and tools, not browsers
	var st Stats
	for first := true; ; first = false {
		if in.Buffered() == 0 {
			if err := out.Flush(); err != nil {
				return st, fmt.Errorf("hashing: write: %w", err)
			}
		}
		line, tooLong, err := readLine(in)
		if err == io.EOF {
			return st, nil
		}
		if err != nil {
			return st, fmt.Errorf("hashing: read: %w", err)
		}
		if first {
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		res, err := hashLine(line, tooLong, n, t)
		if err != nil {
			return st, err
		}
		st.Lines++
		if res.Error != "" {
			st.Invalid++
		} else {
			st.Valid++
		}
		if err := enc.Encode(res); err != nil {
			return st, fmt.Errorf("hashing: write: %w", err)
		}
	}
}

func hashLine(line []byte, tooLong bool, n identifier.Normalizer, t identifier.Type) (result, error) {
	if tooLong {
		return result{Error: reasonLineTooLong}, nil
	}
	input := string(line)
	d, norm, err := n.Digest(t, input)
	var ie *identifier.Error
	switch {
	case errors.As(err, &ie):
		return result{Input: &input, Error: ie.Reason}, nil
	case err != nil: // a configuration error: no line can succeed
		return result{}, err
	}
	return result{Input: &input, Normalized: norm, SHA256: hex.EncodeToString(d[:])}, nil
}

// readLine returns the next line without its "\n" or "\r\n". A line longer
// than MaxLineSize is consumed and reported as tooLong. At the end of input
// it returns io.EOF.
func readLine(in *bufio.Reader) (line []byte, tooLong bool, err error) {
	line, err = in.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		for err == bufio.ErrBufferFull {
			_, err = in.ReadSlice('\n')
		}
		if err == io.EOF {
			err = nil // the long line was the last one
		}
		return nil, true, err
	}
	switch {
	case err == io.EOF && len(line) > 0:
		err = nil // last line without newline; EOF comes on the next call
	case err != nil:
		return nil, false, err
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line, len(line) > MaxLineSize, nil
}
