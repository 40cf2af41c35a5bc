package csvin

import (
	"fmt"
	"io"
	"strings"
)

// Options say how to read the bytes of an input. The zero value reads
// UTF-8 (or UTF-16 announced by a byte order mark) CSV whose delimiter is
// detected from the header row. A command line maps its --delimiter and
// --encoding flags onto the fields with ParseDelimiter and ParseEncoding.
type Options struct {
	// Delimiter separates CSV fields. Zero detects it from the header row
	// among ',' ';' tab and '|' (see sniffDelimiter); ',' when the header
	// has none of them.
	Delimiter rune
	// Encoding is the character encoding of CSV input; Auto (the zero
	// value) means UTF-8, or UTF-16 when the input starts with a UTF-16
	// byte order mark. Parquet strings are UTF-8 by definition.
	Encoding Encoding
	// Stdin is read when OpenFile is given the name "-"; nil means
	// os.Stdin.
	Stdin io.Reader
	// OnRead, when set, is called by OpenFile's Reader with the number of
	// bytes read from the file as stored (compressed, before decoding), for
	// progress reports against the file's size.
	OnRead func(n int64)
}

// delimiters are the field separators detection chooses from, in the order
// that breaks ties: the first is the default.
var delimiters = [...]rune{',', ';', '\t', '|'}

// ParseDelimiter reads a --delimiter value: one of , ; | written as itself,
// a tab written as a tab, `\t` or "tab", or the names comma, semicolon and
// pipe. The empty string means detect (zero).
func ParseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case ",", "comma":
		return ',', nil
	case ";", "semicolon":
		return ';', nil
	case "\t", `\t`, "tab":
		return '\t', nil
	case "|", "pipe":
		return '|', nil
	}
	return 0, fmt.Errorf("%w: %q (want , ; | or tab)", ErrDelimiter, s)
}

// Encoding names the character encoding of CSV input.
type Encoding string

// The supported encodings. Windows1252 is what Excel writes for "CSV" on a
// Western-European Windows; ISO88591 is its older subset (the bytes 0x80 to
// 0x9F are control characters there, typographic signs in Windows-1252).
const (
	Auto        Encoding = ""
	UTF8        Encoding = "utf-8"
	Windows1252 Encoding = "windows-1252"
	ISO88591    Encoding = "iso-8859-1"
	UTF16       Encoding = "utf-16" // byte order mark required
)

// ParseEncoding reads an --encoding value, case-insensitive, with the usual
// aliases (utf8, cp1252, latin1, utf16...). The empty string is Auto.
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return Auto, nil
	case "utf-8", "utf8":
		return UTF8, nil
	case "windows-1252", "cp1252", "win1252":
		return Windows1252, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		return ISO88591, nil
	case "utf-16", "utf16":
		return UTF16, nil
	}
	return "", fmt.Errorf("%w: %q (want utf-8, windows-1252, iso-8859-1 or utf-16)", ErrEncoding, s)
}
