package flow

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/policy"
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
	got, err := SegmentNames(good, "segments", csvin.Options{}, SegmentNamesAsIs)
	if err != nil || !slices.Equal(got, []string{"luxury", "sports", "travel"}) {
		t.Fatalf("SegmentNames = %v, %v", got, err)
	}

	many := "email,segments\n"
	for i := range 65 {
		many += "x@example.com,s" + strconv.Itoa(i) + "\n"
	}
	// The case: a column of SHA-256 e-mail hashes.
	hashed := "email,email_sha256\n"
	for i := range 20 {
		sum := sha256.Sum256([]byte("user" + strconv.Itoa(i) + "@example.com"))
		hashed += "user" + strconv.Itoa(i) + "@example.com," + hex.EncodeToString(sum[:]) + "\n"
	}
	// Customer numbers: each row its own label, none identifier-shaped.
	perRow := "email,segments\n"
	for i := range 6 {
		perRow += "x@example.com,c" + strconv.Itoa(100+i) + "\n"
	}
	// Twelve labels over 60 rows: five rows per label.
	sparse := "email,segments\n"
	for i := range 60 {
		sparse += "x@example.com,s" + strconv.Itoa(i%12) + "\n"
	}
	for _, tc := range []struct {
		name, content, column string
		want                  error
		detail                string
	}{
		{"identifier column", "email,segments\nsecret@example.com,a\n", "email", policy.ErrSegmentName, "(first seen on rows 1; not shown)"},
		{"no labels", "email,segments\nx@example.com,\n", "segments", ErrSegmentNames, "no labels"},
		{"too many", many, "segments", ErrSegmentNames, "more than 64"},
		{"hashed identifiers", hashed, "email_sha256", ErrSegmentNames, "each of the 20 labelled rows has a label of its own"},
		{"one label per row", perRow, "segments", ErrSegmentNames, "each of the 6 labelled rows has a label of its own"},
		{"too many labels for the rows", sparse, "segments", ErrSegmentNames, "12 distinct labels over 60 labelled rows"},
		{"missing column", "email,segs\nx@example.com,a\n", "segments", csvin.ErrMissingColumn, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SegmentNames(write(tc.name+".csv", tc.content), tc.column, csvin.Options{}, SegmentNamesAsIs)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.detail) {
				t.Fatalf("error %v, want %v mentioning %q", err, tc.want, tc.detail)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error quotes a cell: %v", err)
			}
		})
	}
	// Up to eight labels are allowed however few the rows; past eight,
	// ten labelled rows per label are enough.
	for _, spread := range []struct{ labels, rows int }{{4, 4}, {8, 9}, {12, 120}, {64, 640}} {
		content := "email,segments\n"
		for i := range spread.rows {
			content += "x@example.com,s" + strconv.Itoa(i%spread.labels) + "\n"
		}
		names, err := SegmentNames(write("spread.csv", content), "segments", csvin.Options{}, SegmentNamesAsIs)
		if err != nil || len(names) != spread.labels {
			t.Errorf("%d labels over %d rows: %d names, %v", spread.labels, spread.rows, len(names), err)
		}
	}
	if _, err := SegmentNames(filepath.Join(dir, "nope.csv"), "segments", csvin.Options{}, SegmentNamesAsIs); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
