package csvin_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/blindjoin/blindjoin/partner/csvin"
)

// FuzzReader checks that any input is read without panic or endless loop,
// that every Next call before the end counts one row, and that returned
// rows hold what the package promises.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"id,seg,consent\na@x.com,s1;s2,CP\n",
		"\ufeffid,seg,consent\r\na,\"s1,\n;s2\",\"C\"\"P\"\r\n",
		"id,seg,consent\nshort\nlong,1,2,3\n\n\"bare\"x,1,2\nq\"q,1,2\n",
		"id,seg,consent\n\"unterminated,1,2\nz,1,2\n",
		"id,seg,consent\n\xff,\xfe,\xfd\n",
		"ID , Seg,CONSENT\n a ; b ,;;, c \n",
		"\xff\xfei\x00d\x00",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := csvin.Open(bytes.NewReader(data), csvin.Columns{ID: "id", Segments: "seg", Consent: "consent"})
		if err != nil {
			return
		}
		for calls := 1; ; calls++ {
			if calls > len(data)+1 {
				t.Fatalf("more rows than bytes")
			}
			row, err := r.Next()
			var re *csvin.RowError
			switch {
			case err == io.EOF:
				return
			case errors.As(err, &re):
				if re.Row != calls || re.Line < 2 || re.Reason == "" {
					t.Fatalf("call %d: %+v", calls, re)
				}
				continue
			case err != nil:
				return
			}
			if row.Number != calls || row.Line < 2 || !utf8.ValidString(row.ID) || !utf8.ValidString(row.Consent) {
				t.Fatalf("call %d: %+v", calls, row)
			}
			if strings.TrimSpace(row.Consent) != row.Consent {
				t.Fatalf("consent not trimmed: %q", row.Consent)
			}
			for _, s := range row.Segments {
				if s == "" || strings.TrimSpace(s) != s || strings.Contains(s, ";") || !utf8.ValidString(s) {
					t.Fatalf("bad segment %q", s)
				}
			}
		}
	})
}
