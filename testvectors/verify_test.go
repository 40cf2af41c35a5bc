package testvectors

import (
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestEmbeddedVectorsReplay(t *testing.T) {
	results, err := Verify(Embedded())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"encodings.json": 24, "intersection.json": 17, "multikey.json": 22, "records.json": 60}
	if len(results) != len(want) {
		t.Fatalf("Verify found %d files, want %d", len(results), len(want))
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Name, r.Err)
		}
		if r.Checked != want[r.Name] {
			t.Errorf("%s: %d vectors checked, want %d", r.Name, r.Checked, want[r.Name])
		}
	}
}

// embeddedFile returns the embedded file name decoded as generic JSON.
func embeddedFile(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := fs.ReadFile(Embedded(), name)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func item(doc map[string]any, path ...any) map[string]any {
	var v any = doc
	for _, p := range path {
		switch p := p.(type) {
		case string:
			v = v.(map[string]any)[p]
		case int:
			v = v.([]any)[p]
		}
	}
	return v.(map[string]any)
}

// firstInvalid returns the first record of records.json with expect "invalid".
func firstInvalid(doc map[string]any) map[string]any {
	for _, r := range doc["records"].([]any) {
		if r.(map[string]any)["expect"] == "invalid" {
			return r.(map[string]any)
		}
	}
	panic("records.json has no invalid record")
}

// flipHex changes the last hex digit of s.
func flipHex(s string) string {
	last := "0"
	if strings.HasSuffix(s, "0") {
		last = "1"
	}
	return s[:len(s)-1] + last
}

// TestTamperedVectors checks that the replay can fail: each edit of a copy
// of a vector file, of a value, a key or the syntax, must fail that file
// with the right class of error, at the edited place.
func TestTamperedVectors(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		edit   func(doc map[string]any)
		want   error
		vector string // for ErrMismatch: where the replay must stop
		field  string
	}{
		{"hex digit of blinded_ab", "records.json", func(d map[string]any) {
			r := item(d, "records", 0)
			r["blinded_ab"] = flipHex(r["blinded_ab"].(string))
		}, ErrMismatch, "records[0]", "blinded_ab"},
		{"unknown key", "records.json", func(d map[string]any) { item(d, "records", 3)["note"] = "x" }, ErrFormat, "", ""},
		{"unknown top-level key", "encodings.json", func(d map[string]any) { d["version"] = "1" }, ErrFormat, "", ""},
		{"blinded_ab removed", "records.json", func(d map[string]any) { delete(item(d, "records", 0), "blinded_ab") }, ErrMismatch, "records[0]", "blinded_ab"},
		{"join_digest removed", "records.json", func(d map[string]any) { delete(item(d, "records", 5), "join_digest") }, ErrMismatch, "records[5]", "join_digest"},
		{"normalized not normalized", "records.json", func(d map[string]any) { item(d, "records", 0)["normalized"] = "User@example.com" }, ErrMismatch, "records[0]", "normalized"},
		{"sha256 of another identifier", "records.json", func(d map[string]any) {
			item(d, "records", 0)["sha256"] = item(d, "records", 1)["sha256"]
		}, ErrMismatch, "records[0]", "sha256"},
		{"element upper-case hex", "records.json", func(d map[string]any) {
			r := item(d, "records", 2)
			r["element"] = strings.ToUpper(r["element"].(string))
		}, ErrMismatch, "records[2]", "element"},
		{"blinded_a of another record", "records.json", func(d map[string]any) {
			item(d, "records", 0)["blinded_a"] = item(d, "records", 1)["blinded_a"]
		}, ErrMismatch, "records[0]", "blinded_a"},
		{"valid record said invalid", "records.json", func(d map[string]any) { item(d, "records", 0)["expect"] = "invalid" }, ErrMismatch, "records[0]", "normalized"},
		{"expect removed", "records.json", func(d map[string]any) { delete(item(d, "records", 0), "expect") }, ErrMismatch, "records[0]", "expect"},
		{"media partner value in a records entry", "records.json", func(d map[string]any) {
			r := item(d, "records", 0)
			r["blinded_b"] = r["blinded_a"]
		}, ErrMismatch, "records[0]", "blinded_b"},
		{"reason of an invalid record", "records.json", func(d map[string]any) { firstInvalid(d)["reason"] = "missing '@'" }, ErrMismatch, "records[40]", "reason"},
		{"reason removed", "records.json", func(d map[string]any) { delete(firstInvalid(d), "reason") }, ErrMismatch, "records[40]", "reason"},
		{"region removed", "records.json", func(d map[string]any) {
			for _, r := range d["records"].([]any) {
				delete(r.(map[string]any), "region")
			}
		}, ErrMismatch, "records[25]", "input"},
		{"another key_a", "records.json", func(d map[string]any) { d["key_a"] = d["key_b"] }, ErrMismatch, "records[0]", "blinded_a"},
		{"zero key_b", "records.json", func(d map[string]any) { d["key_b"] = strings.Repeat("00", 32) }, ErrMismatch, "", "key_b"},
		{"key_a removed", "intersection.json", func(d map[string]any) { delete(d, "key_a") }, ErrMismatch, "", "key_a"},
		{"suite", "records.json", func(d map[string]any) { d["suite"] = "P256-SHA256" }, ErrMismatch, "", "suite"},
		{"dst", "encodings.json", func(d map[string]any) { d["dst"] = "QUUX-V01-CS02-with-ristretto255_XMD:SHA-512_R255MAP_RO_" }, ErrMismatch, "", "dst"},
		{"description removed", "intersection.json", func(d map[string]any) { delete(d, "description") }, ErrMismatch, "", "description"},
		{"round pairs", "multikey.json", func(d map[string]any) {
			item(d, "multikey", 0, "outcomes", 0, "rounds", 1)["pairs"] = 3
		}, ErrMismatch, "multikey[0].outcomes[0]", "rounds[1]"},
		{"a blocked link claimed", "multikey.json", func(d map[string]any) {
			item(d, "multikey", 0, "outcomes", 0, "links", 1)["a"] = 0
		}, ErrMismatch, "multikey[0].outcomes[0]", "links[1]"},
		{"overlap", "multikey.json", func(d map[string]any) { item(d, "multikey", 0, "outcomes", 1)["overlap"] = 3 }, ErrMismatch, "multikey[0].outcomes[1]", "overlap"},
		{"record under another key", "multikey.json", func(d map[string]any) {
			row := item(d, "multikey", 0, "a", 1)
			row["phone"] = row["email"]
			delete(row, "email")
		}, ErrMismatch, "multikey[0].a[1].phone", "type"},
		{"valid encoding said invalid", "encodings.json", func(d map[string]any) {
			e := item(d, "encodings", 0)
			e["valid"], e["reason"] = false, "non-canonical field encoding"
		}, ErrMismatch, "encodings[0]", "encoding"},
		{"invalid encoding said valid", "encodings.json", func(d map[string]any) {
			e := item(d, "encodings", 8)
			e["valid"] = true
			delete(e, "reason")
		}, ErrMismatch, "encodings[8]", "encoding"},
		{"valid removed", "encodings.json", func(d map[string]any) { delete(item(d, "encodings", 8), "valid") }, ErrMismatch, "encodings[8]", "valid"},
		{"identity said non-canonical", "encodings.json", func(d map[string]any) {
			item(d, "encodings", 8)["reason"] = "non-canonical field encoding"
		}, ErrMismatch, "encodings[8]", "reason"},
		{"unknown reason", "encodings.json", func(d map[string]any) { item(d, "encodings", 9)["reason"] = "bad" }, ErrMismatch, "encodings[9]", "reason"},
		{"encoding digit", "encodings.json", func(d map[string]any) {
			e := item(d, "encodings", 2)
			e["encoding"] = flipHex(e["encoding"].(string))
		}, ErrMismatch, "encodings[2]", "encoding"},
		{"overlap", "intersection.json", func(d map[string]any) { item(d, "intersections", 0)["overlap"] = 5 }, ErrMismatch, "intersections[0]", "overlap"},
		{"overlap removed", "intersection.json", func(d map[string]any) { delete(item(d, "intersections", 0), "overlap") }, ErrMismatch, "intersections[0]", "overlap"},
		{"overlap as text", "intersection.json", func(d map[string]any) { item(d, "intersections", 0)["overlap"] = "4" }, ErrFormat, "", ""},
		{"b record in the old form, without blinded_a and blinded_ab", "intersection.json", func(d map[string]any) {
			r := item(d, "intersections", 0, "b", 0)
			delete(r, "blinded_a")
			delete(r, "blinded_ab")
		}, ErrMismatch, "intersections[0].b[0]", "blinded_a"},
		{"b record without blinded_ba", "intersection.json", func(d map[string]any) {
			delete(item(d, "intersections", 0, "b", 1), "blinded_ba")
		}, ErrMismatch, "intersections[0].b[1]", "blinded_ba"},
		{"b record with the two orders swapped", "intersection.json", func(d map[string]any) {
			r := item(d, "intersections", 0, "b", 0)
			r["blinded_a"], r["blinded_b"] = r["blinded_b"], r["blinded_a"]
		}, ErrMismatch, "intersections[0].b[0]", "blinded_a"},
		{"blinded_ab digit in b", "intersection.json", func(d map[string]any) {
			r := item(d, "intersections", 0, "b", 2)
			r["blinded_ab"] = flipHex(r["blinded_ab"].(string))
		}, ErrMismatch, "intersections[0].b[2]", "blinded_ab"},
		{"blinded_ba digit", "intersection.json", func(d map[string]any) {
			r := item(d, "intersections", 0, "b", 3)
			r["blinded_ba"] = flipHex(r["blinded_ba"].(string))
		}, ErrMismatch, "intersections[0].b[3]", "blinded_ba"},
		{"blinded_ba not blinded_ab", "intersection.json", func(d map[string]any) {
			item(d, "intersections", 0, "b", 1)["blinded_ba"] = item(d, "intersections", 0, "b", 0)["blinded_ab"]
		}, ErrMismatch, "intersections[0].b[1]", "blinded_ba"},
		{"join_digest of another record in b", "intersection.json", func(d map[string]any) {
			item(d, "intersections", 0, "b", 0)["join_digest"] = item(d, "intersections", 0, "a", 5)["join_digest"]
		}, ErrMismatch, "intersections[0].b[0]", "join_digest"},
		{"media partner values in an a record", "intersection.json", func(d map[string]any) {
			a, b := item(d, "intersections", 0, "a", 0), item(d, "intersections", 0, "b", 0)
			a["blinded_b"], a["blinded_ba"] = b["blinded_b"], b["blinded_ba"]
		}, ErrMismatch, "intersections[0].a[0]", "blinded_b"},
		{"overlap counted by matching pairs", "intersection.json", func(d map[string]any) { item(d, "intersections", 0)["overlap"] = 6 }, ErrMismatch, "intersections[0]", "overlap"},
		{"invalid record in an intersection", "intersection.json", func(d map[string]any) {
			r := item(d, "intersections", 0, "a", 0)
			for _, k := range []string{"normalized", "sha256", "element", "blinded_a", "blinded_ab", "join_digest"} {
				delete(r, k)
			}
			r["input"], r["expect"], r["reason"] = "x", "invalid", "missing '@'"
		}, ErrMismatch, "intersections[0].a[0]", "expect"},
		{"nothing to replay", "encodings.json", func(d map[string]any) { delete(d, "encodings") }, ErrMismatch, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := embeddedFile(t, tc.file)
			tc.edit(doc)
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			err = verifyOne(t, tc.file, data)
			checkFailure(t, err, tc.want, tc.vector, tc.field)
		})
	}
}

// TestMalformedVectors edits the text of a file where a JSON parser would
// not notice: Go's decoder keeps the last of two keys, matches keys without
// regard to case and replaces invalid UTF-8.
func TestMalformedVectors(t *testing.T) {
	data, err := fs.ReadFile(Embedded(), "records.json")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	tests := []struct{ name, text string }{
		{"duplicate key", strings.Replace(text, `"expect": "valid",`, `"expect": "invalid", "expect": "valid",`, 1)},
		{"key in upper case", strings.Replace(text, `"element":`, `"Element":`, 1)},
		{"invalid UTF-8", strings.Replace(text, `"user@example.com"`, "\"user@example.com\xff\"", 1)},
		{"trailing data", text + "{}"},
		{"array", "[" + text + "]"},
		{"truncated", text[:len(text)/2]},
		{"empty", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFailure(t, verifyOne(t, "records.json", []byte(tc.text)), ErrFormat, "", "")
		})
	}
}

func verifyOne(t *testing.T, name string, data []byte) error {
	t.Helper()
	results, err := Verify(fstest.MapFS{name: {Data: data}})
	if err != nil || len(results) != 1 {
		t.Fatalf("Verify = %v, %v", results, err)
	}
	return results[0].Err
}

func checkFailure(t *testing.T, err, want error, vector, field string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
	var ve *Error
	if want == ErrMismatch && errors.As(err, &ve) && (ve.Vector != vector || ve.Field != field) {
		t.Fatalf("failed at %q %q (%v), want %q %q", ve.Vector, ve.Field, err, vector, field)
	}
}

func TestVerifyFileSystems(t *testing.T) {
	if _, err := Verify(fstest.MapFS{"README.md": {Data: []byte("x")}}); !errors.Is(err, ErrNoFiles) {
		t.Errorf("no vector files: err = %v", err)
	}
	// A directory named like a vector file cannot be read: it fails alone.
	records, _ := fs.ReadFile(Embedded(), "records.json")
	results, err := Verify(fstest.MapFS{"a.json/b": {Data: []byte("{}")}, "records.json": {Data: records}})
	if err != nil || len(results) != 2 || results[0].Err == nil || results[1].Err != nil {
		t.Fatalf("Verify = %+v, %v", results, err)
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Vector: "records[3]", Field: "blinded_ab", Reason: "differs"}
	if got := e.Error(); got != "records[3]: blinded_ab: differs" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&Error{Field: "suite", Reason: "x"}).Error(); got != "suite: x" {
		t.Errorf("Error() = %q", got)
	}
}
