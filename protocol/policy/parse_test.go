package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseDefaults(t *testing.T) {
	for _, doc := range []string{`{}`, " \n{ }\t", `{"k":50,"min_rows":1000}`} {
		p, err := Parse([]byte(doc))
		if err != nil {
			t.Fatalf("Parse(%q): %v", doc, err)
		}
		if !reflect.DeepEqual(p, Default()) {
			t.Errorf("Parse(%q) = %+v, want the default policy", doc, p)
		}
	}
}

func TestParseFull(t *testing.T) {
	doc := `{"min_rows": 5000, "k": 100, "count_purposes": {"all_of": [9, 7]},
		"activation_purposes": {"all_of": [1, 3, 4, 2]}, "activation_segments": ["b", "a.1"],
		"rate_granularity": "decile", "dp": {"epsilon": 0.5}, "vendor_ids": [755, 1],
		"retention_days": 7, "match_keys": ["phone", "email"], "duplicates": "drop", "conflicts": "ignore"}`
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := Policy{
		MinRows:            5000,
		K:                  100,
		CountPurposes:      Rule{AllOf: []int{9, 7}},
		ActivationPurposes: Rule{AllOf: []int{1, 3, 4, 2}},
		ActivationSegments: []string{"b", "a.1"},
		RateGranularity:    Decile,
		DP:                 &DP{Epsilon: 0.5},
		VendorIDs:          []int{755, 1},
		RetentionDays:      7,
		MatchKeys:          []string{"phone", "email"},
		Duplicates:         DuplicatesDrop,
		Conflicts:          ConflictsIgnore,
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Parse = %+v\nwant    %+v", p, want)
	}
}

// TestParseHostile lists documents Parse must refuse, with the field the
// error must name.
func TestParseHostile(t *testing.T) {
	tests := []struct {
		name, doc, field string
	}{
		{"empty", ``, ""},
		{"null", `null`, ""},
		{"array", `[]`, ""},
		{"string", `"{}"`, ""},
		{"truncated", `{"k": 50`, ""},
		{"trailing object", `{} {}`, ""},
		{"trailing garbage", `{}x`, ""},
		{"trailing comma", `{"k": 50,}`, ""},
		{"unknown field", `{"kk": 1}`, `"kk"`},
		{"key case matters", `{"K": 50}`, `?`},
		{"duplicate field", `{"k": 50, "k": 1}`, `"k"`},
		{"duplicate by escape", `{"k": 50, "\u006b": 1}`, `"k"`},
		{"null field", `{"k": null}`, "k"},
		{"k zero", `{"k": 0}`, "k"},
		{"k negative", `{"k": -5}`, "k"},
		{"k float", `{"k": 50.5}`, "k"},
		{"k exponent", `{"k": 5e1}`, "k"},
		{"k string", `{"k": "50"}`, "k"},
		{"k huge", `{"k": 1000000000000}`, "k"},
		{"k overflow", `{"k": 99999999999999999999}`, "k"},
		{"min_rows zero", `{"min_rows": 0}`, "min_rows"},
		{"min_rows bool", `{"min_rows": true}`, "min_rows"},
		{"rule empty object", `{"count_purposes": {}}`, "count_purposes"},
		{"rule both", `{"count_purposes": {"any_of": [7], "all_of": [9]}}`, "count_purposes"},
		{"rule empty list", `{"count_purposes": {"any_of": []}}`, "count_purposes"},
		{"rule null list", `{"count_purposes": {"any_of": null}}`, "count_purposes.any_of"},
		{"rule unknown key", `{"count_purposes": {"one_of": [7]}}`, `count_purposes."one_of"`},
		{"rule duplicate key", `{"count_purposes": {"any_of": [7], "any_of": [1]}}`, `count_purposes."any_of"`},
		{"rule array", `{"count_purposes": [7, 9]}`, "count_purposes"},
		{"purpose 0", `{"count_purposes": {"any_of": [0]}}`, "count_purposes.any_of[0]"},
		{"purpose 12", `{"count_purposes": {"any_of": [7, 12]}}`, "count_purposes.any_of[1]"},
		{"purpose 24", `{"activation_purposes": {"all_of": [24]}}`, "activation_purposes.all_of[0]"},
		{"purpose negative", `{"activation_purposes": {"all_of": [-1]}}`, "activation_purposes.all_of[0]"},
		{"purpose duplicate", `{"activation_purposes": {"all_of": [1, 3, 1]}}`, "activation_purposes.all_of[2]"},
		{"purpose null", `{"activation_purposes": {"all_of": [null]}}`, "activation_purposes.all_of[0]"},
		{"purpose string", `{"activation_purposes": {"all_of": ["1"]}}`, "activation_purposes.all_of"},
		{"too many purposes", `{"count_purposes": {"any_of": [1,2,3,4,5,6,7,8,9,10,11,1]}}`, "count_purposes.any_of"},
		{"segments not array", `{"activation_segments": "a"}`, "activation_segments"},
		{"segment empty", `{"activation_segments": [""]}`, "activation_segments[0]"},
		{"segment space", `{"activation_segments": ["a b"]}`, "activation_segments[0]"},
		{"segment slash", `{"activation_segments": ["ok", "a/b"]}`, "activation_segments[1]"},
		{"segment unicode", `{"activation_segments": ["caf\u00e9"]}`, "activation_segments[0]"},
		{"segment NUL", `{"activation_segments": ["a\u0000"]}`, "activation_segments[0]"},
		{"segment too long", `{"activation_segments": ["` + strings.Repeat("a", 65) + `"]}`, "activation_segments[0]"},
		{"segment duplicate", `{"activation_segments": ["a", "b", "a"]}`, "activation_segments[2]"},
		{"segment null", `{"activation_segments": [null]}`, "activation_segments[0]"},
		{"granularity unknown", `{"rate_granularity": "permille"}`, "rate_granularity"},
		{"granularity case", `{"rate_granularity": "Percent"}`, "rate_granularity"},
		{"granularity empty", `{"rate_granularity": ""}`, "rate_granularity"},
		{"dp empty", `{"dp": {}}`, "dp.epsilon"},
		{"dp number", `{"dp": 1}`, "dp"},
		{"dp unknown key", `{"dp": {"epsilon": 1, "delta": 0}}`, `dp."delta"`},
		{"epsilon zero", `{"dp": {"epsilon": 0}}`, "dp.epsilon"},
		{"epsilon negative zero", `{"dp": {"epsilon": -0}}`, "dp.epsilon"},
		{"epsilon tiny", `{"dp": {"epsilon": 0.009}}`, "dp.epsilon"},
		{"epsilon large", `{"dp": {"epsilon": 20.000001}}`, "dp.epsilon"},
		{"epsilon overflow", `{"dp": {"epsilon": 1e400}}`, "dp.epsilon"},
		{"epsilon string", `{"dp": {"epsilon": "NaN"}}`, "dp.epsilon"},
		{"vendor zero", `{"vendor_ids": [0]}`, "vendor_ids[0]"},
		{"vendor too big", `{"vendor_ids": [1, 65536]}`, "vendor_ids[1]"},
		{"vendor duplicate", `{"vendor_ids": [5, 5]}`, "vendor_ids[1]"},
		{"retention zero", `{"retention_days": 0}`, "retention_days"},
		{"retention too long", `{"retention_days": 3651}`, "retention_days"},
		{"oversized", `{"activation_segments": [` + strings.Repeat(`"a",`, MaxSize/4) + `"b"]}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("err does not match ErrInvalid")
			}
			if pe.Field != tc.field {
				t.Errorf("Field = %q, want %q (%v)", pe.Field, tc.field, err)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	ok := []string{
		`{"k": 1, "min_rows": 1, "retention_days": 1}`,
		`{"k": 1000000000, "min_rows": 1000000000, "retention_days": 3650}`,
		`{"dp": {"epsilon": 0.01}}`,
		`{"dp": null}`,
		`{"dp": {"epsilon": 20}}`,
		`{"vendor_ids": [1, 65535]}`,
		`{"count_purposes": {"any_of": [1,2,3,4,5,6,7,8,9,10,11]}}`,
		`{"activation_segments": ["` + strings.Repeat("Z", 64) + `", "a_b.c-9"]}`,
	}
	for _, doc := range ok {
		if _, err := Parse([]byte(doc)); err != nil {
			t.Errorf("Parse(%s): %v", doc, err)
		}
	}
}

func TestErrorsDoNotQuoteValues(t *testing.T) {
	for _, doc := range []string{
		`{"activation_segments": ["secret name!"]}`,
		`{"activation_segments": ["secret", "secret"]}`,
	} {
		_, err := Parse([]byte(doc))
		if err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("Parse(%s) error %v", doc, err)
		}
	}
	_, err := Parse([]byte(`{"` + strings.Repeat("x", 1000) + `\n": 1}`))
	if err == nil || len(err.Error()) > 200 || strings.Contains(err.Error(), "\n") {
		t.Errorf("unknown long key: error %q", err)
	}
}

// The clean room logs policy errors and returns them to the client, so an
// unknown or duplicate key is repeated only when it looks like a field
// name. Found by cleanroom/attacks (TestAttackPathAndSQLMetacharacters): a
// policy key holding an email reached the server log.
func TestErrorsDoNotQuoteKeysThatAreNotFieldNames(t *testing.T) {
	for _, key := range []string{
		"user@example.com", "CP_h-0AQBzAEAAKACBENABEAAAAAAAAAAAAAAAAAAAAA", "33612345678",
		"bjk_Zm9vYmFy", "Epsilon", "k2", "a-b", strings.Repeat("a", maxKeyShown+1),
	} {
		for _, doc := range []string{
			`{"` + key + `": 1}`,
			`{"dp": {"epsilon": 1, "` + key + `": 1}}`,
			`{"count_purposes": {"` + key + `": [7], "` + key + `": [7]}}`,
			`{"` + key + `": 1, "` + key + `": 1}`,
		} {
			_, err := Parse([]byte(doc))
			var pe *Error
			if !errors.As(err, &pe) || strings.Contains(err.Error(), key) || !strings.HasSuffix(pe.Field, "?") {
				t.Errorf("Parse(%s): %v", doc, err)
			}
		}
	}
	_, err := Parse([]byte(`{"dp": {"epsilon": 1, "delta": 0}}`))
	if err == nil || !strings.Contains(err.Error(), `"delta"`) {
		t.Errorf("a field-like key is no longer named: %v", err)
	}
}

func TestUnmarshalJSON(t *testing.T) {
	var doc struct {
		Policy Policy `json:"policy"`
	}
	if err := json.Unmarshal([]byte(`{"policy": {"k": 75}}`), &doc); err != nil || doc.Policy.K != 75 || doc.Policy.MinRows != 1000 {
		t.Fatalf("embedded policy: %+v, %v", doc.Policy, err)
	}
	if err := json.Unmarshal([]byte(`{"policy": {"k": 0}}`), &doc); !errors.Is(err, ErrInvalid) {
		t.Fatalf("embedded invalid policy: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		`{}`, `null`, `{"k": 50}`, `{"k": 50, "k": 51}`,
		`{"min_rows": 5000, "k": 100, "count_purposes": {"all_of": [9, 7]}, "activation_purposes": {"any_of": [1]},
		  "activation_segments": ["b", "a"], "rate_granularity": "decile", "dp": {"epsilon": 0.5},
		  "vendor_ids": [755, 1], "retention_days": 7}`,
		`{"count_purposes": {"any_of": [7], "all_of": [9]}}`,
		`{"dp": {"epsilon": 1e-2}}`, `{"vendor_ids": [65535, 1, 2]}`, `{"activation_segments": ["\u0041"]}`,
		string(Default().Canonical()),
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid policy: %v", err)
		}
		// The canonical form is a fixed point with the same hash.
		c := p.Canonical()
		q, err := Parse(c)
		if err != nil {
			t.Fatalf("canonical form %s does not parse: %v", c, err)
		}
		if !bytes.Equal(q.Canonical(), c) || q.Hash() != p.Hash() {
			t.Fatalf("canonical form is not stable: %s vs %s", q.Canonical(), c)
		}
		if err := p.CheckFloor(p); err != nil {
			t.Fatalf("a policy is looser than itself: %v", err)
		}
		if _, err := NewEvaluator(p, p.policyAttrs()); err != nil {
			t.Fatalf("evaluator refuses the policy's own attributes: %v", err)
		}
	})
}
