package csvin

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

func TestSniffDelimiter(t *testing.T) {
	for in, want := range map[string]rune{
		"":                                     ',',
		"email":                                ',',
		"email,segments,consent\n1;2;3;4\n":    ',',
		"Email;Téléphone;Segment;Consentement": ';',
		"email\tsegments\r\na,b,c,d,e\n":       '\t',
		"email|segments|consent":               '|',
		`"a;b;c",email`:                        ',', // quoted separators do not count
		`"a""b;c";email;x`:                     ';',
		"a;b,c":                                ',', // a tie goes to ','
		"a\t|b\t|c":                            '\t',
	} {
		if got := sniffDelimiter([]byte(in)); got != want {
			t.Errorf("sniffDelimiter(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSniffDelimiter checks that detection never fails on any input and
// finds the delimiter of any header of two or more names that hold no
// candidate delimiter, quote or line end, whatever follows the header.
func FuzzSniffDelimiter(f *testing.F) {
	f.Add([]byte("email;phone"), byte(1), []byte("a,b,c\n"))
	f.Add([]byte("Email Téléphone Segment"), byte(2), []byte("\"x\ny\""))
	f.Add([]byte("\"a\" b"), byte(3), []byte{})
	f.Fuzz(func(t *testing.T, names []byte, which byte, rest []byte) {
		if d := sniffDelimiter(rest); !slices.Contains(delimiters[:], d) {
			t.Fatalf("sniffDelimiter(%q) = %q", rest, d)
		}
		cells := strings.FieldsFunc(string(names), func(r rune) bool {
			return slices.Contains(delimiters[:], r) || r == '"' || r == '\r' || r == '\n'
		})
		if len(cells) < 2 {
			return
		}
		d := delimiters[int(which)%len(delimiters)]
		header := strings.Join(cells, string(d)) + "\n"
		if got := sniffDelimiter(append([]byte(header), rest...)); got != d {
			t.Fatalf("header %q: got %q, want %q", header, got, d)
		}
	})
}

// FuzzEncodings reads any bytes under each encoding: no panic, every row
// returned is valid UTF-8 in its selected cells (a single-byte code page
// decodes every byte, so it never yields an invalid-UTF-8 row), and the
// Windows-1252 hint is only given for text that code page decodes cleanly.
func FuzzEncodings(f *testing.F) {
	f.Add([]byte("Email;Segment\r\nh\xe9l\xe8ne@x.fr;Fid\xe8le\r\n"), byte(1))
	f.Add([]byte("\xff\xfee\x00m\x00a\x00i\x00l\x00\n\x00"), byte(0))
	f.Add([]byte("\xfe\xff\x00e\x00m\x00a\x00i\x00l\x00\n\x00"), byte(4))
	f.Add([]byte("\xef\xbb\xbfemail\n\x81\x8d\n"), byte(2))
	f.Fuzz(func(t *testing.T, data []byte, which byte) {
		encs := []Encoding{Auto, Windows1252, ISO88591, UTF8, UTF16}
		enc := encs[int(which)%len(encs)]
		if looksLikeWindows1252(string(data)) {
			out, err := charmap.Windows1252.NewDecoder().Bytes(data)
			if err != nil || !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) {
				t.Fatalf("hint for %q, which decodes to %q, %v", data, out, err)
			}
		}
		r, err := OpenReader(bytes.NewReader(data), Columns{ID: "email", Segments: "Segment"}, Options{Encoding: enc})
		if err != nil {
			return
		}
		for calls := 1; calls <= len(data)+1; calls++ {
			row, err := r.Next()
			if err == io.EOF {
				return
			}
			if re, ok := errors.AsType[*RowError](err); ok {
				if (enc == Windows1252 || enc == ISO88591) && strings.Contains(re.Reason, "UTF-8") {
					t.Fatalf("%s row %d: %s", enc, re.Row, re.Reason)
				}
				continue
			}
			if err != nil {
				return
			}
			if !utf8.ValidString(row.ID) || slices.ContainsFunc(row.Segments, func(s string) bool { return !utf8.ValidString(s) }) {
				t.Fatalf("invalid UTF-8 in %+v", row)
			}
		}
		t.Fatal("more rows than bytes")
	})
}
