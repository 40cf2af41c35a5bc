package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"testing"
)

func TestCanonicalDefault(t *testing.T) {
	want := `{"min_rows":1000,"k":50,"count_purposes":{"any_of":[7,9]},"activation_purposes":{"all_of":[1,3,4]},` +
		`"activation_segments":[],"rate_granularity":"percent","dp":null,"vendor_ids":[],"retention_days":30}`
	if got := string(Default().Canonical()); got != want {
		t.Fatalf("Canonical = %s\nwant        %s", got, want)
	}
	sum := sha256.Sum256([]byte(want))
	if Default().Hash() != hex.EncodeToString(sum[:]) {
		t.Fatal("Hash is not the hex SHA-256 of Canonical")
	}
}

func TestCanonicalFull(t *testing.T) {
	p := mustParse(t, `{"vendor_ids": [755, 1], "dp": {"epsilon": 0.25}, "activation_segments": ["b", "B", "a"],
		"count_purposes": {"all_of": [9, 7]}, "retention_days": 7, "k": 100}`)
	want := `{"min_rows":1000,"k":100,"count_purposes":{"all_of":[7,9]},"activation_purposes":{"all_of":[1,3,4]},` +
		`"activation_segments":["B","a","b"],"rate_granularity":"percent","dp":{"epsilon":0.25},"vendor_ids":[1,755],"retention_days":7}`
	if got := string(p.Canonical()); got != want {
		t.Fatalf("Canonical = %s\nwant        %s", got, want)
	}
}

// TestHashStable checks that field order, whitespace, set order, explicit
// defaults and number spelling do not change the hash, and that every
// semantic change does.
func TestHashStable(t *testing.T) {
	same := []string{
		`{}`,
		`{"retention_days":30,"k":50,"min_rows":1000}`,
		`{"count_purposes":{"any_of":[9,7]},"activation_purposes":{"all_of":[4,1,3]}}`,
		"{\n  \"rate_granularity\" : \"percent\",\n  \"vendor_ids\" : [ ] ,\"activation_segments\":[]\n}",
		`{"dp":null}`,
	}
	base := Default().Hash()
	for _, doc := range same {
		if h := mustParse(t, doc).Hash(); h != base {
			t.Errorf("%s: hash %s, want the default's %s", doc, h, base)
		}
	}
	eps := []string{`{"dp":{"epsilon":1}}`, `{"dp":{"epsilon":1.0}}`, `{"dp":{"epsilon":1e0}}`, `{"dp":{"epsilon":10e-1}}`}
	for _, doc := range eps[1:] {
		if mustParse(t, doc).Hash() != mustParse(t, eps[0]).Hash() {
			t.Errorf("%s hashes differently from %s", doc, eps[0])
		}
	}
	sets := []string{`{"vendor_ids":[3,1,2],"activation_segments":["x","a"]}`, `{"activation_segments":["a","x"],"vendor_ids":[1,2,3]}`}
	if mustParse(t, sets[0]).Hash() != mustParse(t, sets[1]).Hash() {
		t.Error("set order changes the hash")
	}

	different := []string{
		`{"k":51}`, `{"min_rows":1001}`, `{"count_purposes":{"all_of":[7,9]}}`, `{"count_purposes":{"any_of":[7]}}`,
		`{"activation_purposes":{"all_of":[1,3,4,2]}}`, `{"activation_segments":["a"]}`, `{"rate_granularity":"decile"}`,
		`{"dp":{"epsilon":1}}`, `{"dp":{"epsilon":1.0000001}}`, `{"vendor_ids":[1]}`, `{"retention_days":29}`,
	}
	seen := map[string]string{base: "{}"}
	for _, doc := range different {
		h := mustParse(t, doc).Hash()
		if prev, ok := seen[h]; ok {
			t.Errorf("%s and %s have the same hash", doc, prev)
		}
		seen[h] = doc
	}
}

func TestMarshalJSON(t *testing.T) {
	p := mustParse(t, `{"vendor_ids":[2,1],"k":60}`)
	b, err := json.Marshal(struct{ P Policy }{p})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"P":` + string(p.Canonical()) + `}`; string(b) != want {
		t.Fatalf("Marshal = %s, want %s", b, want)
	}
	bad := Default()
	bad.DP = &DP{Epsilon: math.NaN()}
	if _, err := json.Marshal(bad); err == nil {
		t.Fatal("an invalid policy was marshalled")
	}
}

func TestParseHashed(t *testing.T) {
	doc := []byte(`{"k": 60}`)
	p, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ParseHashed(doc, p.Hash()); err != nil || got.K != 60 {
		t.Fatalf("the right hash: %+v, %v", got, err)
	}
	if _, err := ParseHashed(doc, Default().Hash()); !errors.Is(err, ErrHash) {
		t.Fatalf("another policy's hash: %v, want ErrHash", err)
	}
	if _, err := ParseHashed([]byte(`{"k": 0}`), p.Hash()); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an invalid policy: %v, want ErrInvalid", err)
	}
}
