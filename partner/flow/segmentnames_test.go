package flow

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/partner/csvin"
)

func TestSegmentNames(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.csv", "\ufeffemail,Segments,consent\r\n"+
		"a@example.com, travel ; sports;,1;7\r\n"+
		"b@example.com,\"luxury\",\r\n"+
		"c@example.com,,\r\n"+
		"broken,row\r\n"+ // skipped by the reader, as the flow skips it
		"d@example.com,sports;travel,7\r\n")
	got, err := SegmentNames(good, "segments")
	if err != nil || !slices.Equal(got, []string{"luxury", "sports", "travel"}) {
		t.Fatalf("SegmentNames = %v, %v", got, err)
	}

	many := "email,segments\n"
	for i := range 65 {
		many += "x@example.com,s" + strconv.Itoa(i) + "\n"
	}
	for _, tc := range []struct {
		name, content, column string
		want                  error
		detail                string
	}{
		{"identifier column", "email,segments\nsecret@example.com,a\n", "email", ErrSegmentNames, "row 1"},
		{"no labels", "email,segments\nx@example.com,\n", "segments", ErrSegmentNames, "no labels"},
		{"too many", many, "segments", ErrSegmentNames, "more than 64"},
		{"missing column", "email,segs\nx@example.com,a\n", "segments", csvin.ErrMissingColumn, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SegmentNames(write(tc.name+".csv", tc.content), tc.column)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.detail) {
				t.Fatalf("error %v, want %v mentioning %q", err, tc.want, tc.detail)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error quotes a cell: %v", err)
			}
		})
	}
	if _, err := SegmentNames(filepath.Join(dir, "nope.csv"), "segments"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
