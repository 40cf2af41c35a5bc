package csvin_test

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/partner/csvin"
)

// TestKeyColumns: a multi-key party's further identifier columns come back
// in Row.Keys, in the order asked, blank cells as "", from CSV and from
// Parquet; a column named twice, too many or a missing one is an error.
func TestKeyColumns(t *testing.T) {
	in := "phone,email,consent,maid\n+33612345678,a@example.com,7,\n, b@example.com ,7,6f1c2d3e-0000-4000-8000-000000000001\n"
	r, err := csvin.Open(strings.NewReader(in), csvin.Columns{ID: "email", Consent: "consent", Keys: []string{"MAID", "phone"}})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"", "+33612345678"}, {"6f1c2d3e-0000-4000-8000-000000000001", ""}}
	for i := 0; ; i++ {
		row, err := r.Next()
		if err == io.EOF {
			if i != len(want) {
				t.Fatalf("%d rows, want %d", i, len(want))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(row.Keys, want[i]) {
			t.Errorf("row %d Keys %q, want %q", i+1, row.Keys, want[i])
		}
	}

	for name, cols := range map[string]csvin.Columns{
		"twice":     {ID: "email", Keys: []string{"Email"}},
		"too many":  {ID: "email", Keys: []string{"phone", "maid", "consent"}},
		"missing":   {ID: "email", Keys: []string{"idfa"}},
		"empty key": {ID: "email", Keys: []string{" "}},
	} {
		if _, err := csvin.Open(strings.NewReader(in), cols); !errors.Is(err, csvin.ErrColumns) && !errors.Is(err, csvin.ErrMissingColumn) {
			t.Errorf("%s: Open = %v, want a column error", name, err)
		}
	}
}

func TestKeyColumnsParquet(t *testing.T) {
	records := []parquetRecord{{Email: "a@example.com", Consent: "7"}, {Email: "b@example.com", Consent: "1;7"}}
	path := writeParquet(t, records, 10)
	r, err := csvin.OpenFile(path, csvin.Columns{ID: "consent", Keys: []string{"email"}}, csvin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := range records {
		row, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(row.Keys, []string{records[i].Email}) || row.ID != records[i].Consent {
			t.Errorf("row %d: ID %q Keys %q", i+1, row.ID, row.Keys)
		}
	}
}
