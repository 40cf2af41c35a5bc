package consent

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseMapping(t *testing.T) {
	m, err := ParseMapping(" Oui = 1;3;4;7;9 , Non=, opt-in=li:7;li:9;1 ,Peut-être=7")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cell          string
		consents, lis []int
	}{
		{"Oui", []int{1, 3, 4, 7, 9}, nil},
		{"  Oui\r\n", []int{1, 3, 4, 7, 9}, nil},
		{"Non", nil, nil},
		{"opt-in", []int{1}, []int{7, 9}},
		{"Peut-être", []int{7}, nil},
		{"", nil, nil},
		{" \t", nil, nil},
	} {
		f, err := m.ParseCell(c.cell)
		if err != nil {
			t.Errorf("%q: %v", c.cell, err)
			continue
		}
		if got := purposes(f.PurposeConsent); !equal(got, c.consents) {
			t.Errorf("%q: consents %v", c.cell, got)
		}
		if got := purposes(f.PurposeLI); !equal(got, c.lis) {
			t.Errorf("%q: LI %v", c.cell, got)
		}
		if f.VendorsConsented([]int{1}) {
			t.Errorf("%q: a first-party value consents to a vendor", c.cell)
		}
	}
	// Exact match after trimming: no case folding, no guessing, and never
	// the cell in the error.
	for _, cell := range []string{"oui", "OUI", "Yes", "Ou i", "1;3;4;7;9", "jane.doe@example.com", "Oui;Non"} {
		f, err := m.ParseCell(cell)
		if !errors.Is(err, ErrUnmapped) || f != (Facts{}) {
			t.Errorf("%q: %v, %v", cell, f, err)
		}
		if strings.Contains(err.Error(), cell) {
			t.Errorf("%q: error echoes the cell: %v", cell, err)
		}
	}
}

// Mappings that must be refused, with the message a user sees.
var hostileMappings = []struct{ spec, want string }{
	{"", "no entries"},
	{"  ", "no entries"},
	{",", "entry 1: no '='"},
	{"Oui", "entry 1: no '='"},
	{"Oui=1;3,", "entry 2: no '='"},
	{"=1;3", "entry 1: empty value"},
	{" =", "entry 1: empty value"},
	{"Oui=1,Oui=1", `entry 2: value "Oui" is mapped twice`},
	{"Oui=1, Oui =3", `entry 2: value "Oui" is mapped twice`},
	{"Oui=1;;3", `entry 1: value "Oui": consent: invalid purpose list: item 2`},
	{"Oui=0", "item 1 is not a purpose id from 1 to 24"},
	{"Oui=25", "item 1 is not a purpose id from 1 to 24"},
	{"Oui=li:3", "TCF 2.2 allows no legitimate interest"},
	{"Oui==1", "item 1 is not a purpose id"},
	{"Oui=1 3", "item 1 is not a purpose id"},
	{"Oui=yes", "item 1 is not a purpose id"},
	{"Oui=CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA", "item 1 is not a purpose id"},
	{"O\x00ui=1", "value is not printable UTF-8 text"},
	{"O\xffui=1", "value is not printable UTF-8 text"},
	{strings.Repeat("x", 65) + "=1", "value longer than 64 bytes"},
	{manyValues(257), "entry 257: more than 256 values"},
}

func manyValues(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strings.Repeat("v", i/26+1) + string(rune('a'+i%26)) + "=")
	}
	return b.String()
}

func TestParseMappingRejects(t *testing.T) {
	for _, c := range hostileMappings {
		m, err := ParseMapping(c.spec)
		if !errors.Is(err, ErrInvalidMapping) || m != nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.40q: %v, want %q", c.spec, err, c.want)
		}
	}
	if _, err := ParseMapping(manyValues(256)); err != nil {
		t.Errorf("256 values: %v", err)
	}
}

func TestReadMapping(t *testing.T) {
	m, err := ReadMapping(strings.NewReader("# CRM opt-in column\r\nOui, bien sûr = 1;3;4;7;9\r\n\r\nNon=\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f, err := m.ParseCell("Oui, bien sûr"); err != nil || !f.PurposeConsent(9) {
		t.Errorf("comma value: %v", err)
	}
	for _, c := range []struct{ file, want string }{
		{"", "no entries"},
		{"# only a comment\n\n", "no entries"},
		{"Oui=1\nNon\n", "line 2: no '='"},
		{"Oui=1\n\nOui=3\n", `line 3: value "Oui" is mapped twice`},
		{strings.Repeat("#\n", maxMappingFile), "larger than 65536 bytes"},
		{"Oui=" + strings.Repeat("1;", maxMappingFile), "larger than 65536 bytes"},
	} {
		if _, err := ReadMapping(strings.NewReader(c.file)); !errors.Is(err, ErrInvalidMapping) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.30q: %v, want %q", c.file, err, c.want)
		}
	}
	boom := errors.New("boom")
	if _, err := ReadMapping(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
}

func FuzzParseMapping(f *testing.F) {
	f.Add("Oui=1;3;4;7;9,Non=")
	for _, c := range hostileMappings[:len(hostileMappings)-1] {
		f.Add(c.spec)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		m, err := ParseMapping(spec)
		if err != nil {
			if !errors.Is(err, ErrInvalidMapping) || m != nil {
				t.Fatalf("error %v with mapping %v", err, m)
			}
			return
		}
		// Every entry's value is in the mapping, with exactly its list.
		for entry := range strings.SplitSeq(spec, ",") {
			value, list, _ := strings.Cut(entry, "=")
			facts, err := m.ParseCell(value)
			if err != nil {
				t.Fatalf("value %q of %q: %v", value, spec, err)
			}
			var want Facts
			if list = strings.TrimSpace(list); list != "" {
				want.consents, want.lis, _ = ParsePurposeList(list)
			}
			if facts != want {
				t.Fatalf("value %q: %+v, want %+v", value, facts, want)
			}
			for _, p := range []int{1, 3, 4, 5, 6} {
				if facts.PurposeLI(p) {
					t.Fatalf("legitimate interest for purpose %d", p)
				}
			}
		}
	})
}
