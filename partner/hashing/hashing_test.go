package hashing_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/blindjoin/blindjoin/partner/hashing"
	"github.com/blindjoin/blindjoin/protocol/identifier"
)

const userHash = "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"

func TestHashLines(t *testing.T) {
	longLine := strings.Repeat("a", hashing.MaxLineSize+1)
	maxLine := strings.Repeat("a", hashing.MaxLineSize)
	for _, c := range []struct {
		name  string
		typ   identifier.Type
		in    string
		want  []string // output lines
		stats hashing.Stats
	}{
		{
			name: "valid and invalid",
			typ:  identifier.Email,
			in:   "user@example.com\n User@Example.COM\t\na@@example.com\n\n",
			want: []string{
				`{"input":"user@example.com","normalized":"user@example.com","sha256":"` + userHash + `"}`,
				`{"input":" User@Example.COM\t","normalized":"user@example.com","sha256":"` + userHash + `"}`,
				`{"input":"a@@example.com","error":"more than one '@'"}`,
				`{"input":"","error":"empty"}`,
			},
			stats: hashing.Stats{Lines: 4, Valid: 2, Invalid: 2},
		},
		{
			name: "CRLF, BOM, last line without newline",
			typ:  identifier.Email,
			in:   "\ufeffuser@example.com\r\n\r\nuser@example.com\r",
			want: []string{
				`{"input":"user@example.com","normalized":"user@example.com","sha256":"` + userHash + `"}`,
				`{"input":"","error":"empty"}`,
				`{"input":"user@example.com","normalized":"user@example.com","sha256":"` + userHash + `"}`,
			},
			stats: hashing.Stats{Lines: 3, Valid: 2, Invalid: 1},
		},
		{
			name: "JSON escaping",
			typ:  identifier.Email,
			in:   "\xffa@x.com\n\"<b>&\\\x00@x.com\n",
			want: []string{
				`{"input":"\ufffda@x.com","error":"invalid UTF-8"}`,
				`{"input":"\"<b>&\\\u0000@x.com","error":"character not allowed in local part"}`,
			},
			stats: hashing.Stats{Lines: 2, Invalid: 2},
		},
		{
			name: "line too long is skipped, not echoed",
			typ:  identifier.Email,
			in:   longLine + "\r\nuser@example.com\n" + longLine,
			want: []string{
				`{"error":"line longer than 1 MiB"}`,
				`{"input":"user@example.com","normalized":"user@example.com","sha256":"` + userHash + `"}`,
				`{"error":"line longer than 1 MiB"}`,
			},
			stats: hashing.Stats{Lines: 3, Valid: 1, Invalid: 2},
		},
		{
			name: "line of exactly MaxLineSize is read",
			typ:  identifier.Email,
			in:   maxLine + "\r\n",
			want: []string{
				`{"input":"` + maxLine + `","error":"longer than 254 bytes"}`,
			},
			stats: hashing.Stats{Lines: 1, Invalid: 1},
		},
		{
			name: "pre-hashed",
			typ:  identifier.SHA256,
			in:   "tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ=\nxyz\n",
			want: []string{
				`{"input":"tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ=","normalized":"` + userHash + `","sha256":"` + userHash + `"}`,
				`{"input":"xyz","error":"not 64 hex or 44 base64 characters"}`,
			},
			stats: hashing.Stats{Lines: 2, Valid: 1, Invalid: 1},
		},
		{
			name:  "empty input",
			typ:   identifier.Email,
			in:    "",
			stats: hashing.Stats{},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			st, err := hashing.HashLines(strings.NewReader(c.in), &out, identifier.Normalizer{}, c.typ)
			if err != nil {
				t.Fatal(err)
			}
			if st != c.stats {
				t.Errorf("stats = %+v, want %+v", st, c.stats)
			}
			got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if out.Len() == 0 {
				got = nil
			}
			if len(got) != len(c.want) {
				t.Fatalf("%d output lines, want %d:\n%s", len(got), len(c.want), out.String())
			}
			for i := range got {
				if !json.Valid([]byte(got[i])) {
					t.Errorf("line %d is not valid JSON", i+1)
				}
				if got[i] != c.want[i] {
					t.Errorf("line %d:\n got %.200s\nwant %.200s", i+1, got[i], c.want[i])
				}
			}
		})
	}
}

func TestHashLinesPhoneRegion(t *testing.T) {
	var out bytes.Buffer
	_, err := hashing.HashLines(strings.NewReader("06 12 34 56 78\n"), &out, identifier.Normalizer{DefaultRegion: "FR"}, identifier.Phone)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]string
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res["normalized"] != "+33612345678" {
		t.Fatalf("output %s (%v)", out.String(), err)
	}
}

func TestHashLinesConfigErrors(t *testing.T) {
	if _, err := hashing.HashLines(strings.NewReader("x\n"), io.Discard, identifier.Normalizer{}, "ssn"); !errors.Is(err, identifier.ErrUnknownType) {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := hashing.HashLines(strings.NewReader("x\n"), io.Discard, identifier.Normalizer{DefaultRegion: "XX"}, identifier.Phone); !errors.Is(err, identifier.ErrUnknownRegion) {
		t.Errorf("unknown region: %v", err)
	}
}

func TestHashLinesReadError(t *testing.T) {
	boom := errors.New("stdin closed")
	var out bytes.Buffer
	in := io.MultiReader(strings.NewReader("user@example.com\npartial"), iotest.ErrReader(boom))
	st, err := hashing.HashLines(in, &out, identifier.Normalizer{}, identifier.Email)
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v", err)
	}
	// Lines read before the failure are written out.
	if st.Lines != 1 || !strings.Contains(out.String(), userHash) {
		t.Fatalf("stats %+v, output %q", st, out.String())
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestHashLinesWriteError(t *testing.T) {
	boom := errors.New("stdout closed")
	in := strings.NewReader(strings.Repeat("user@example.com\n", 10000))
	if _, err := hashing.HashLines(in, failWriter{boom}, identifier.Normalizer{}, identifier.Email); !errors.Is(err, boom) {
		t.Fatalf("error = %v", err)
	}
}

// flushCounter records writes, to check output reaches w line by line when
// input arrives line by line.
type flushCounter struct{ writes []string }

func (w *flushCounter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func TestHashLinesInteractive(t *testing.T) {
	in := iotest.OneByteReader(strings.NewReader("user@example.com\nuser@example.com\n"))
	var w flushCounter
	if _, err := hashing.HashLines(in, &w, identifier.Normalizer{}, identifier.Email); err != nil {
		t.Fatal(err)
	}
	if len(w.writes) != 2 {
		t.Fatalf("%d writes, want one per line: %q", len(w.writes), w.writes)
	}
}
