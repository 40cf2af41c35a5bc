package csvin

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

var (
	bomUTF8    = []byte("\xef\xbb\xbf")
	bomUTF16LE = []byte("\xff\xfe")
	bomUTF16BE = []byte("\xfe\xff")
)

// decodeText returns the text of raw as UTF-8, its byte order mark
// dropped. UTF-8 input is passed through untouched (no copy, no check: the
// Reader checks the selected cells), so that reading plain UTF-8 costs what
// it did before encodings existed. A byte order mark that contradicts enc
// is an error: the user named the wrong encoding, and reading on would
// garble every non-ASCII character.
func decodeText(raw *bufio.Reader, enc Encoding) (io.Reader, error) {
	start, err := raw.Peek(3)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("csvin: read: %w", err)
	}
	var bom Encoding
	switch {
	case bytes.HasPrefix(start, bomUTF8):
		bom = UTF8
	case bytes.HasPrefix(start, bomUTF16LE), bytes.HasPrefix(start, bomUTF16BE):
		bom = UTF16
	}
	switch {
	case enc == Auto && bom != "":
		enc = bom
	case enc == Auto:
		enc = UTF8
	case enc == UTF16 && bom == "":
		return nil, fmt.Errorf("%w: utf-16 input must start with a byte order mark", ErrEncoding)
	case bom != "" && bom != enc:
		return nil, fmt.Errorf("%w: the file starts with a %s byte order mark, not %s text: try --encoding %s", ErrEncoding, bom, enc, bom)
	}
	switch enc {
	case UTF8:
		if bom != "" {
			if _, err := raw.Discard(len(bomUTF8)); err != nil {
				return nil, err
			}
		}
		return raw, nil
	case UTF16:
		// ExpectBOM: the mark chooses the byte order and is dropped.
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Reader(raw), nil
	case Windows1252:
		return charmap.Windows1252.NewDecoder().Reader(raw), nil
	case ISO88591:
		return charmap.ISO8859_1.NewDecoder().Reader(raw), nil
	}
	return nil, fmt.Errorf("%w: %q", ErrEncoding, string(enc))
}

// notUTF8Hint is added to the report of invalid UTF-8 in text that reads
// as Windows-1252: what Excel's "CSV" export writes on Western-European
// Windows, the usual cause.
const notUTF8Hint = "the file does not look like UTF-8: try --encoding windows-1252"

// looksLikeWindows1252 reports whether s, which is not valid UTF-8, decodes
// as Windows-1252 without a byte that code page leaves undefined, and holds
// no control character other than tab, CR and LF (text, not binary).
func looksLikeWindows1252(s string) bool {
	if utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' || c == 0x7f {
			return false
		}
		if c >= 0x80 && charmap.Windows1252.DecodeByte(c) == utf8.RuneError {
			return false
		}
	}
	return true
}
