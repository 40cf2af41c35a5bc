package csvin_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/blindjoin/blindjoin/partner/csvin"
)

// frenchExport is a CRM export as Excel writes "CSV" on a French Windows:
// ';'-separated, CRLF, Windows-1252.
const frenchExport = "Email;Téléphone;Segment;Consentement\r\n" +
	"helene.lefevre@orange.fr;06 12 34 56 78;Fidèle;Oui\r\n" +
	"\"jean;dupont@free.fr\";0690 12 34 56;Nouveau client;Non\r\n"

var frenchColumns = csvin.Columns{ID: "Email", Segments: "Segment", Consent: "Consentement"}

var frenchRows = []csvin.Row{
	{Number: 1, Line: 2, ID: "helene.lefevre@orange.fr", Segments: []string{"Fidèle"}, Consent: "Oui"},
	{Number: 2, Line: 3, ID: "jean;dupont@free.fr", Segments: []string{"Nouveau client"}, Consent: "Non"},
}

func cp1252(t testing.TB, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func utf16(t testing.TB, order unicode.Endianness, s string) []byte {
	t.Helper()
	b, err := unicode.UTF16(order, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rowsOf reads every row of r, failing on any error.
func rowsOf(t *testing.T, r *csvin.Reader) []csvin.Row {
	t.Helper()
	var rows []csvin.Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
	}
}

func TestEncodingsAndDelimiters(t *testing.T) {
	for _, c := range []struct {
		name  string
		input []byte
		opts  csvin.Options
	}{
		{"windows-1252, ; detected", cp1252(t, frenchExport), csvin.Options{Encoding: csvin.Windows1252}},
		{"iso-8859-1, ; forced", cp1252(t, frenchExport), csvin.Options{Encoding: csvin.ISO88591, Delimiter: ';'}},
		{"UTF-8 with BOM", []byte("\ufeff" + frenchExport), csvin.Options{}},
		{"UTF-16LE with BOM, auto", utf16(t, unicode.LittleEndian, frenchExport), csvin.Options{}},
		{"UTF-16BE with BOM, named", utf16(t, unicode.BigEndian, frenchExport), csvin.Options{Encoding: csvin.UTF16}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := csvin.OpenReader(bytes.NewReader(c.input), frenchColumns, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := rowsOf(t, r); !reflect.DeepEqual(got, frenchRows) {
				t.Fatalf("rows = %#v", got)
			}
		})
	}
	for _, d := range []string{"\t", "|", ","} {
		input := "Email" + d + "Segment" + d + "Consentement\nhelene.lefevre@orange.fr" + d + "a;b" + d + "1;7\n"
		r, err := csvin.Open(strings.NewReader(input), frenchColumns)
		if err != nil {
			t.Fatalf("%q: %v", d, err)
		}
		want := []csvin.Row{{Number: 1, Line: 2, ID: "helene.lefevre@orange.fr", Segments: []string{"a", "b"}, Consent: "1;7"}}
		if got := rowsOf(t, r); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: rows = %#v", d, got)
		}
	}
}

// The messages a user gets for the French export read with the defaults
// or the wrong delimiter say what to do.
func TestWrongEncodingOrDelimiterHints(t *testing.T) {
	latin := cp1252(t, frenchExport)
	_, err := csvin.Open(bytes.NewReader(latin), frenchColumns)
	want := "csvin: malformed header row (line 1): invalid UTF-8; the file does not look like UTF-8: try --encoding windows-1252"
	if !errors.Is(err, csvin.ErrHeader) || err.Error() != want {
		t.Fatalf("default encoding: %v", err)
	}
	_, err = csvin.OpenReader(bytes.NewReader(latin), frenchColumns, csvin.Options{Encoding: csvin.Windows1252, Delimiter: ','})
	want = `csvin: column not found in header: "Email" (header has 1 column: "Email;Téléphone;Segment;Consentement"); ` +
		`the file looks ;-separated: try --delimiter ';'`
	if ce, ok := errors.AsType[*csvin.ColumnError](err); !ok || err.Error() != want || ce.Hint() == "" {
		t.Fatalf("forced comma:\n got %v\nwant %s", err, want)
	}
	// Column present under another delimiter, header split in several cells.
	_, err = csvin.OpenReader(strings.NewReader("a,email\tsegments\n"), csvin.Columns{ID: "segments"}, csvin.Options{Delimiter: ','})
	if err == nil || !strings.HasSuffix(err.Error(), "the file looks tab-separated: try --delimiter tab") {
		t.Fatalf("tab hint: %v", err)
	}
	// No guess when nothing explains the miss.
	_, err = csvin.Open(strings.NewReader("mail,segments\n"), frenchColumns)
	if ce, ok := errors.AsType[*csvin.ColumnError](err); !ok || ce.Hint() != "" ||
		err.Error() != `csvin: column not found in header: "Email" (header has 2 columns: "mail", "segments")` {
		t.Fatalf("no hint: %v", err)
	}
	// A data cell in Windows-1252 in a UTF-8 file: the row is skipped with
	// the usual reason and the Reader holds the hint, for the user to see
	// once.
	r, err := csvin.Open(bytes.NewReader(append([]byte("Email;Segment;Consentement\n"), cp1252(t, "hélène@orange.fr;a;7\n")...)), frenchColumns)
	if err != nil {
		t.Fatal(err)
	}
	if r.Hints() != nil {
		t.Fatal("hints before reading")
	}
	_, err = r.Next()
	if re, ok := errors.AsType[*csvin.RowError](err); !ok || re.Reason != `invalid UTF-8 in column "Email"` {
		t.Fatalf("Next = %v", err)
	}
	if got := r.Hints(); !reflect.DeepEqual(got, []string{"the file does not look like UTF-8: try --encoding windows-1252"}) {
		t.Fatalf("Hints = %q", got)
	}
}

func TestEncodingErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		input string
		enc   csvin.Encoding
		want  string
	}{
		{"utf-16 without BOM", "e\x00m\x00", csvin.UTF16, "utf-16 input must start with a byte order mark"},
		{"UTF-8 BOM, windows-1252 named", "\ufeffemail\n", csvin.Windows1252, "starts with a utf-8 byte order mark, not windows-1252 text: try --encoding utf-8"},
		{"UTF-16 BOM, UTF-8 named", "\xff\xfee\x00", csvin.UTF8, "starts with a utf-16 byte order mark, not utf-8 text: try --encoding utf-16"},
		{"unknown", "email\n", csvin.Encoding("ebcdic"), `"ebcdic"`},
	} {
		_, err := csvin.OpenReader(strings.NewReader(c.input), csvin.Columns{ID: "email"}, csvin.Options{Encoding: c.enc})
		if !errors.Is(err, csvin.ErrEncoding) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if _, err := csvin.OpenReader(strings.NewReader("email\n"), csvin.Columns{ID: "email"}, csvin.Options{Delimiter: ':'}); !errors.Is(err, csvin.ErrDelimiter) {
		t.Errorf("delimiter ':': %v", err)
	}
}

func TestParseFlags(t *testing.T) {
	for in, want := range map[string]rune{"": 0, ",": ',', "Semicolon": ';', ";": ';', `\t`: '\t', "\t": '\t', "tab": '\t', "|": '|', "pipe": '|'} {
		if got, err := csvin.ParseDelimiter(in); err != nil || got != want {
			t.Errorf("ParseDelimiter(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{":", ",,", " ", "x"} {
		if _, err := csvin.ParseDelimiter(in); !errors.Is(err, csvin.ErrDelimiter) {
			t.Errorf("ParseDelimiter(%q) = %v", in, err)
		}
	}
	for in, want := range map[string]csvin.Encoding{"": csvin.Auto, "UTF8": csvin.UTF8, "cp1252": csvin.Windows1252, "Latin1": csvin.ISO88591, "utf-16": csvin.UTF16} {
		if got, err := csvin.ParseEncoding(in); err != nil || got != want {
			t.Errorf("ParseEncoding(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := csvin.ParseEncoding("utf-32"); !errors.Is(err, csvin.ErrEncoding) {
		t.Errorf("ParseEncoding(utf-32) = %v", err)
	}
}

const plainCSV = "email,segments,consent\r\na@x.com,s1;s2,CP1\r\nb@x.com,,\r\n"

var plainRows = []csvin.Row{
	{Number: 1, Line: 2, ID: "a@x.com", Segments: []string{"s1", "s2"}, Consent: "CP1"},
	{Number: 2, Line: 3, ID: "b@x.com"},
}

func gzipped(t testing.TB, s string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstded(t testing.TB, s string) []byte {
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer zw.Close()
	return zw.EncodeAll([]byte(s), nil)
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpenFileCompressed(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"in.csv", []byte(plainCSV)},
		{"in.CSV.GZ", gzipped(t, plainCSV)},
		{"in.csv.zst", zstded(t, plainCSV)},
		{"in.txt", []byte(plainCSV)},
	} {
		path := writeFile(t, c.name, c.data)
		var read int64
		r, err := csvin.OpenFile(path, allColumns, csvin.Options{OnRead: func(n int64) { read += n }})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := rowsOf(t, r); !reflect.DeepEqual(got, plainRows) {
			t.Fatalf("%s: rows = %#v", c.name, got)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if read != int64(len(c.data)) {
			t.Errorf("%s: OnRead counted %d bytes of %d", c.name, read, len(c.data))
		}
	}
}

func TestOpenFileMismatch(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"in.csv.gz", []byte(plainCSV), "the name ends in .gz but the file does not hold gzip data"},
		{"in.csv.zst", gzipped(t, plainCSV), "the name ends in .zst but the file does not hold zstd data"},
		{"in.csv", gzipped(t, plainCSV), "the file holds gzip data but its name does not say so: name it .gz"},
		{"in.csv", zstded(t, plainCSV), "the file holds zstd data but its name does not say so: name it .zst"},
		{"in.parquet", []byte(plainCSV), "the name ends in .parquet but the file does not start with PAR1"},
	} {
		path := writeFile(t, c.name, c.data)
		_, err := csvin.OpenFile(path, allColumns, csvin.Options{})
		if !errors.Is(err, csvin.ErrCompression) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), path+": ") {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// Damaged compressed data fails when read, naming the file.
	gz := gzipped(t, plainCSV)
	gz[len(gz)-8] ^= 1 // CRC-32
	r, err := csvin.OpenFile(writeFile(t, "bad.csv.gz", gz), allColumns, csvin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err = r.Next(); err != nil {
			break
		}
	}
	if err == io.EOF || !strings.Contains(err.Error(), "bad.csv.gz: csvin: read: gzip: invalid checksum") {
		t.Fatalf("damaged gzip: %v", err)
	}
	if _, err := csvin.OpenFile(filepath.Join(t.TempDir(), "absent.csv"), allColumns, csvin.Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("absent file: %v", err)
	}
}

func TestOpenFileStdin(t *testing.T) {
	for name, data := range map[string][]byte{"plain": []byte(plainCSV), "gzip": gzipped(t, plainCSV), "zstd": zstded(t, plainCSV)} {
		r, err := csvin.OpenFile("-", allColumns, csvin.Options{Stdin: bytes.NewReader(data)})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := rowsOf(t, r); !reflect.DeepEqual(got, plainRows) {
			t.Fatalf("%s: rows = %#v", name, got)
		}
		r.Close()
	}
	_, err := csvin.OpenFile("-", allColumns, csvin.Options{Stdin: strings.NewReader("PAR1....")})
	if !errors.Is(err, csvin.ErrParquet) || err.Error() != "stdin: csvin: parquet: Parquet cannot be read from stdin: give the file's name" {
		t.Fatalf("Parquet on stdin: %v", err)
	}
	r, err := csvin.OpenFile("-", allColumns, csvin.Options{Stdin: strings.NewReader("email,segments,consent\nshort\n")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err == nil || err.Error() != "csvin: stdin: row 1 (line 2): has 1 fields, header has 3" {
		t.Fatalf("row error: %v", err)
	}
}

// parquetRecord is the row type the Parquet tests write; Phone is an
// INT64, which cannot be read as an identifier column.
type parquetRecord struct {
	Email    string  `parquet:"Email"`
	Segments *string `parquet:"segments,optional"`
	Consent  string  `parquet:"consent,dict"`
	Phone    int64   `parquet:"phone"`
	Tags     []string
}

func writeParquet(t *testing.T, records []parquetRecord, rowGroupRows int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[parquetRecord](f, parquet.PageBufferSize(512))
	for len(records) > 0 {
		n := min(rowGroupRows, len(records))
		if _, err := w.Write(records[:n]); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil { // ends the row group
			t.Fatal(err)
		}
		records = records[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpenFileParquet(t *testing.T) {
	const n = 2500 // several pages and row groups, more than one value batch
	seg := func(s string) *string { return &s }
	records := make([]parquetRecord, n)
	want := make([]csvin.Row, n)
	for i := range records {
		email := "user" + strings.Repeat("x", i%7) + "@example.com"
		records[i] = parquetRecord{Email: email, Consent: " 1;7 ", Phone: 33612345678, Tags: []string{"t"}}
		want[i] = csvin.Row{Number: i + 1, ID: email, Consent: "1;7"}
		if i%3 != 0 { // others null
			records[i].Segments = seg("a; b")
			want[i].Segments = []string{"a", "b"}
		}
	}
	records[5].Email = "bad\xff@example.com"
	path := writeParquet(t, records, 1000)
	var read int64
	r, err := csvin.OpenFile(path, csvin.Columns{ID: "email", Segments: "SEGMENTS", Consent: "consent"}, csvin.Options{OnRead: func(n int64) { read += n }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Header(); !reflect.DeepEqual(got, []string{"Email", "segments", "consent", "phone", "Tags"}) {
		t.Fatalf("Header = %q", got)
	}
	var got []csvin.Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if re, ok := errors.AsType[*csvin.RowError](err); ok {
			if re.Row != 6 || re.Error() != "csvin: "+path+`: row 6: invalid UTF-8 in column "Email"` {
				t.Fatalf("row error %v", re)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, row)
	}
	want = append(want[:5], want[6:]...)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%d rows; first %#v", len(got), got[:2])
	}
	if fi, err := os.Stat(path); err != nil || read == 0 || read > 2*fi.Size() {
		t.Errorf("OnRead counted %d bytes of a %d-byte file", read, fi.Size())
	}

	for _, c := range []struct {
		cols csvin.Columns
		want string
	}{
		{csvin.Columns{ID: "phone"}, `column "phone" is INT64, want a flat string (BYTE_ARRAY) column`},
		{csvin.Columns{ID: "tags"}, `column "Tags" is repeated, want a flat string (BYTE_ARRAY) column`},
		{csvin.Columns{ID: "mail"}, `column not found in header: "mail" (header has 5 columns: "Email", "segments", "consent", "phone", "Tags")`},
	} {
		_, err := csvin.OpenFile(path, c.cols, csvin.Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v", c.cols, err)
		}
	}
	// A truncated file is refused at open.
	data, _ := os.ReadFile(path)
	if _, err := csvin.OpenFile(writeFile(t, "cut.parquet", data[:len(data)/2]), allColumns, csvin.Options{}); !errors.Is(err, csvin.ErrParquet) {
		t.Fatalf("truncated: %v", err)
	}
}
