package csvin_test

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/blindjoin/blindjoin/partner/csvin"
)

var allColumns = csvin.Columns{ID: "email", Segments: "segments", Consent: "consent"}

// result is everything a Reader returned: rows, skipped rows, final error.
type result struct {
	rows    []csvin.Row
	skipped []csvin.RowError
	err     error // nil when the input ended with io.EOF
}

func readAll(t *testing.T, input string, cols csvin.Columns) result {
	t.Helper()
	r, err := csvin.Open(strings.NewReader(input), cols)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var res result
	for {
		row, err := r.Next()
		var re *csvin.RowError
		switch {
		case err == io.EOF:
			if _, again := r.Next(); again != io.EOF {
				t.Fatalf("Next after EOF = %v", again)
			}
			return res
		case errors.As(err, &re):
			res.skipped = append(res.skipped, *re)
		case err != nil:
			res.err = err
			return res
		default:
			res.rows = append(res.rows, row)
		}
	}
}

func TestReadRows(t *testing.T) {
	for _, c := range []struct {
		name  string
		input string
		want  []csvin.Row
	}{
		{
			name:  "LF",
			input: "email,segments,consent\na@x.com,s1;s2,CP1\nb@x.com,,\n",
			want: []csvin.Row{
				{Number: 1, Line: 2, ID: "a@x.com", Segments: []string{"s1", "s2"}, Consent: "CP1"},
				{Number: 2, Line: 3, ID: "b@x.com"},
			},
		},
		{
			name:  "BOM CRLF no final newline",
			input: "\ufeffemail,segments,consent\r\na@x.com,s1,CP1\r\nb@x.com,s2,CP2",
			want: []csvin.Row{
				{Number: 1, Line: 2, ID: "a@x.com", Segments: []string{"s1"}, Consent: "CP1"},
				{Number: 2, Line: 3, ID: "b@x.com", Segments: []string{"s2"}, Consent: "CP2"},
			},
		},
		{
			name:  "quoted fields",
			input: "email,segments,consent\n\"a,b\"\"c\"\"@x.com\",\"s1, x;\ns2\",\"CP\"\nb@x.com,s3,\"\"\n",
			want: []csvin.Row{
				{Number: 1, Line: 2, ID: `a,b"c"@x.com`, Segments: []string{"s1, x", "s2"}, Consent: "CP"},
				{Number: 2, Line: 4, ID: "b@x.com", Segments: []string{"s3"}},
			},
		},
		{
			name:  "blank lines",
			input: "email,segments,consent\n\n\na@x.com,s1,CP1\n\r\n\nb@x.com,,\n\n",
			want: []csvin.Row{
				{Number: 1, Line: 4, ID: "a@x.com", Segments: []string{"s1"}, Consent: "CP1"},
				{Number: 2, Line: 7, ID: "b@x.com"},
			},
		},
		{
			name:  "segments trimmed, empties dropped, consent trimmed, ID kept",
			input: "email,segments,consent\n a@x.com , s1 ;; ;s2; ,  CP1 \n",
			want: []csvin.Row{
				{Number: 1, Line: 2, ID: " a@x.com ", Segments: []string{"s1", "s2"}, Consent: "CP1"},
			},
		},
		{
			name:  "header only",
			input: "email,segments,consent\n",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := readAll(t, c.input, allColumns)
			if res.err != nil || len(res.skipped) != 0 {
				t.Fatalf("err %v, skipped %v", res.err, res.skipped)
			}
			if !reflect.DeepEqual(res.rows, c.want) {
				t.Fatalf("rows = %#v\nwant   %#v", res.rows, c.want)
			}
		})
	}
}

func TestColumnSelection(t *testing.T) {
	input := "Consent , extra, EMAIL \nCP1,x,a@x.com\n"
	res := readAll(t, input, csvin.Columns{ID: "email", Consent: "consent"})
	want := []csvin.Row{{Number: 1, Line: 2, ID: "a@x.com", Consent: "CP1"}}
	if !reflect.DeepEqual(res.rows, want) {
		t.Fatalf("rows = %#v", res.rows)
	}
	r, err := csvin.Open(strings.NewReader(input), csvin.Columns{ID: "email"})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header(); !reflect.DeepEqual(got, []string{"Consent ", " extra", " EMAIL "}) {
		t.Fatalf("Header() = %q", got)
	}
	r.Header()[0] = "mutated"
	if r.Header()[0] != "Consent " {
		t.Fatal("Header() shares its slice")
	}
}

func TestOpenErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		input string
		cols  csvin.Columns
		want  error
	}{
		{"empty", "", allColumns, csvin.ErrNoHeader},
		{"BOM only", "\ufeff", allColumns, csvin.ErrNoHeader},
		{"blank lines only", "\n\r\n\n", allColumns, csvin.ErrNoHeader},
		{"header invalid UTF-8", "em\xe9ail,segments,consent\n", allColumns, csvin.ErrHeader},
		{"header bare quote", "em\"ail,segments\n", allColumns, csvin.ErrHeader},
		{"missing column", "mail,segments,consent\n", allColumns, csvin.ErrMissingColumn},
		{"missing optional column", "email,segments\n", allColumns, csvin.ErrMissingColumn},
		{"duplicate column", "email,segments,consent,Email\n", allColumns, csvin.ErrDuplicateColumn},
		{"no ID", "email\n", csvin.Columns{Segments: "email"}, csvin.ErrColumns},
		{"blank ID", "email\n", csvin.Columns{ID: " "}, csvin.ErrColumns},
		{"column twice", "email\n", csvin.Columns{ID: "email", Consent: "EMAIL"}, csvin.ErrColumns},
		{"huge header", strings.Repeat("x", csvin.MaxRecordSize+3*4096), allColumns, csvin.ErrRecordTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := csvin.Open(strings.NewReader(c.input), c.cols)
			if !errors.Is(err, c.want) || r != nil {
				t.Fatalf("Open = %v, %v; want %v", r, err, c.want)
			}
		})
	}
}

// A headerless file makes the first data row the header: its cells must not
// appear in the error text, only in the ColumnError field.
func TestColumnErrorHidesHeader(t *testing.T) {
	_, err := csvin.Open(strings.NewReader("alice@example.com,CP1\nbob@example.com,CP2\n"), allColumns)
	var ce *csvin.ColumnError
	if !errors.As(err, &ce) || ce.Column != "email" || !errors.Is(err, csvin.ErrMissingColumn) {
		t.Fatalf("error = %v", err)
	}
	if strings.Contains(err.Error(), "alice") || strings.Contains(err.Error(), "CP1") {
		t.Fatalf("error text leaks a cell: %q", err.Error())
	}
	want := `csvin: column not found in header: "email" (header has 2 columns; ` +
		`its first row does not look like a header: is the header row missing?)`
	if err.Error() != want {
		t.Fatalf("error text = %q, want %q", err.Error(), want)
	}
	if !reflect.DeepEqual(ce.Header, []string{"alice@example.com", "CP1"}) {
		t.Fatalf("Header = %q", ce.Header)
	}
}

// Bad rows are reported with their numbers and reading goes on; errors carry
// no cell value.
func TestRowErrors(t *testing.T) {
	input := "email,segments,consent,note\n" +
		"short@x.com,s1\n" + // row 1, line 2
		"ok1@x.com,s1,CP1,\xe9t\xe9\n" + // row 2: Latin-1 in an unselected column is fine
		"long@x.com,s1,CP1,n,extra\n" + // row 3
		"bad\xff@x.com,s1,CP1,n\n" + // row 4
		"ok2@x.com,s\xffx,CP1,n\n" + // row 5: invalid UTF-8 in segments
		"ok3@x.com,s1,CP\xff,n\n" + // row 6
		"bare\"quote@x.com,s1,CP1,n\n" + // row 7
		"\"stray\"x@x.com,s1,CP1,n\n" + // row 8
		"\n" +
		"ok4@x.com,\"s1\n;s2\",CP1,n\n" + // row 9, lines 11-12
		"\"unterminated@x.com,s1,CP1,n\nnext@x.com,s1,CP1,n\n" // row 10: quote runs to EOF
	res := readAll(t, input, allColumns)
	if res.err != nil {
		t.Fatal(res.err)
	}
	wantRows := []csvin.Row{
		{Number: 2, Line: 3, ID: "ok1@x.com", Segments: []string{"s1"}, Consent: "CP1"},
		{Number: 9, Line: 11, ID: "ok4@x.com", Segments: []string{"s1", "s2"}, Consent: "CP1"},
	}
	if !reflect.DeepEqual(res.rows, wantRows) {
		t.Fatalf("rows = %#v", res.rows)
	}
	wantSkipped := []csvin.RowError{
		{Row: 1, Line: 2, Reason: "has 2 fields, header has 4"},
		{Row: 3, Line: 4, Reason: "has 5 fields, header has 4"},
		{Row: 4, Line: 5, Reason: `invalid UTF-8 in column "email"`},
		{Row: 5, Line: 6, Reason: `invalid UTF-8 in column "segments"`},
		{Row: 6, Line: 7, Reason: `invalid UTF-8 in column "consent"`},
		{Row: 7, Line: 8, Reason: "quote inside an unquoted field"},
		{Row: 8, Line: 9, Reason: "missing or stray quote in a quoted field"},
		{Row: 10, Line: 13, Reason: "missing or stray quote in a quoted field"},
	}
	if !reflect.DeepEqual(res.skipped, wantSkipped) {
		t.Fatalf("skipped = %#v", res.skipped)
	}
	for _, e := range res.skipped {
		if msg := e.Error(); strings.Contains(msg, "@x.com") || strings.Contains(msg, "CP") {
			t.Errorf("error text leaks a cell: %q", msg)
		}
	}
	if got := wantSkipped[0].Error(); got != "csvin: row 1 (line 2): has 2 fields, header has 4" {
		t.Errorf("Error() = %q", got)
	}
}

func TestRecordSizeLimit(t *testing.T) {
	big := strings.Repeat("a", csvin.MaxRecordSize-len(",s,c\n"))
	res := readAll(t, "email,segments,consent\n"+big+",s,c\nb@x.com,s,c\n", allColumns)
	if res.err != nil || len(res.rows) != 2 || res.rows[0].ID != big {
		t.Fatalf("record of MaxRecordSize bytes: %d rows, %v", len(res.rows), res.err)
	}

	input := "email,segments,consent\na@x.com,s,c\n\"" + strings.Repeat("a", 2*csvin.MaxRecordSize) + "\nb@x.com,s,c\n"
	r, err := csvin.Open(strings.NewReader(input), allColumns)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	for range 2 { // final, and sticky
		if _, err := r.Next(); !errors.Is(err, csvin.ErrRecordTooLarge) {
			t.Fatalf("Next = %v, want ErrRecordTooLarge", err)
		}
	}
}

func TestReadFailure(t *testing.T) {
	boom := errors.New("disk on fire")
	input := io.MultiReader(strings.NewReader("email\na@x.com\n"), iotest.ErrReader(boom))
	r, err := csvin.Open(input, csvin.Columns{ID: "email"})
	if err != nil {
		t.Fatal(err)
	}
	if row, err := r.Next(); err != nil || row.ID != "a@x.com" {
		t.Fatalf("Next = %v, %v", row, err)
	}
	for range 2 {
		if _, err := r.Next(); !errors.Is(err, boom) {
			t.Fatalf("Next = %v, want %v", err, boom)
		}
	}
	if _, err := csvin.Open(iotest.ErrReader(boom), allColumns); !errors.Is(err, boom) {
		t.Fatalf("Open = %v", err)
	}
}
