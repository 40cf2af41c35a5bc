package consent

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/partner/consent/tcf"
)

// The keys `blindjoin consent decode` promises for every decoded string.
var requiredKeys = []string{
	"version", "created", "last_updated", "cmp_id", "cmp_version", "consent_screen",
	"consent_language", "vendor_list_version", "policy_version", "is_service_specific",
	"use_non_standard_texts", "purpose_one_treatment", "publisher_cc", "purpose_consents",
	"purpose_legitimate_interests", "vendor_consents", "vendor_legitimate_interests",
	"special_feature_optins", "publisher_restrictions",
}

func decodeObject(t *testing.T, out []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, out)
	}
	return m
}

func TestDecodeToJSON(t *testing.T) {
	s := reference(t, "service-specific with publisher restrictions and publisher TC")
	out := DecodeToJSON("  " + s + "\r\n")
	if bytes.ContainsRune(out, '\n') {
		t.Error("output holds a newline")
	}
	m := decodeObject(t, out)
	optional := []string{"disclosed_vendors", "allowed_vendors", "publisher_tc"}
	for k := range m {
		if !slices.Contains(requiredKeys, k) && !slices.Contains(optional, k) {
			t.Errorf("unexpected key %q", k)
		}
	}
	for _, k := range requiredKeys {
		if _, ok := m[k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
	// Values cross-checked with what @iabtcf/core decodes from this string
	// (tcf/testdata/iabtcf_core.json).
	want := map[string]string{
		"version": `2`, "created": `"2024-06-01T00:00:00Z"`, "last_updated": `"2024-07-15T00:00:00Z"`,
		"cmp_id": `300`, "cmp_version": `4095`, "consent_screen": `63`, "consent_language": `"NL"`,
		"vendor_list_version": `200`, "policy_version": `4`, "is_service_specific": `true`,
		"use_non_standard_texts": `true`, "purpose_one_treatment": `true`, "publisher_cc": `"DE"`,
		"purpose_consents": `[1,2,3,4]`, "purpose_legitimate_interests": `[7,8]`,
		"vendor_consents": `[1,2,3,25000]`, "vendor_legitimate_interests": `[1,2]`,
		"special_feature_optins": `[2]`,
		// Re-marshalled from a map: keys sorted.
		"publisher_tc": `{"custom_purpose_consents":[1,3],"custom_purpose_legitimate_interests":[2],` +
			`"num_custom_purposes":3,"purpose_consents":[1,3,4],"purpose_legitimate_interests":[2,7]}`,
	}
	for k, w := range want {
		if got, _ := json.Marshal(m[k]); string(got) != w {
			t.Errorf("%s = %s, want %s", k, got, w)
		}
	}
	if _, ok := m["disclosed_vendors"]; ok {
		t.Error("disclosed_vendors present without its segment")
	}
	rs, _ := m["publisher_restrictions"].([]any)
	if len(rs) != 4 {
		t.Fatalf("publisher_restrictions: %v", m["publisher_restrictions"])
	}
	last, _ := json.Marshal(rs[3].(map[string]any)["vendor_ids"])
	first, _ := json.Marshal(rs[0])
	if string(first) != `{"purpose_id":2,"restriction_type":0,"vendor_ids":[9]}` || len(last) < 5*(65535-40000) {
		t.Errorf("restrictions: %s ... %d bytes", first, len(last))
	}
}

func TestDecodeToJSONEmptyListsAreArrays(t *testing.T) {
	m := decodeObject(t, DecodeToJSON(reference(t, "empty global string")))
	for _, k := range []string{"purpose_consents", "purpose_legitimate_interests", "vendor_consents",
		"vendor_legitimate_interests", "special_feature_optins", "publisher_restrictions"} {
		if v, ok := m[k].([]any); !ok || len(v) != 0 {
			t.Errorf("%s = %#v, want []", k, m[k])
		}
	}
	if v, ok := m["disclosed_vendors"].([]any); !ok || len(v) != 10 {
		t.Errorf("disclosed_vendors = %#v", m["disclosed_vendors"])
	}
}

func TestDecodeToJSONError(t *testing.T) {
	valid := reference(t, "dense bit-field vendors, all purposes")
	for _, s := range []string{"", "   ", "1;3", valid[:40], valid + "==", strings.Repeat("C", tcf.MaxLength+1)} {
		m := decodeObject(t, DecodeToJSON(s))
		msg, ok := m["error"].(string)
		if len(m) != 1 || !ok || !strings.HasPrefix(msg, "tcf: malformed TC string: ") {
			t.Errorf("%.20q: %v", s, m)
		}
		if len(s) >= 8 && strings.Contains(msg, strings.TrimSpace(s)[:8]) {
			t.Errorf("error %q echoes the input", msg)
		}
	}
}

func TestDecodeLines(t *testing.T) {
	good := reference(t, "one long run is a single range entry")
	huge := strings.Repeat("C", maxLine+10)
	in := good + "\n" + "\n" + "garbage\r\n" + huge + "\n" + " " + good + " \r\n" + good[:25] + "\n" + good
	var out bytes.Buffer
	if err := DecodeLines(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	wantOK := []bool{true, false, false, false, true, false, true}
	if len(lines) != len(wantOK) {
		t.Fatalf("%d output lines for %d input lines:\n%s", len(lines), len(wantOK), out.String())
	}
	for i, line := range lines {
		m := decodeObject(t, []byte(line))
		if _, failed := m["error"]; failed == wantOK[i] {
			t.Errorf("line %d: %s", i+1, line)
		}
	}
	if !strings.Contains(lines[3], "line longer than") {
		t.Errorf("line 4: %s", lines[3])
	}
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

func TestDecodeLinesIOErrors(t *testing.T) {
	boom := errors.New("boom")
	if err := DecodeLines(io.MultiReader(strings.NewReader("x\n"), failingReader{boom}), io.Discard); !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
	pr, pw := io.Pipe()
	pr.CloseWithError(boom)
	if err := DecodeLines(strings.NewReader("x\ny\n"), pw); !errors.Is(err, boom) {
		t.Errorf("write error: %v", err)
	}
}

// Each answer is written as soon as its line is read, before the next read
// blocks: `blindjoin consent decode` can answer a pipe line by line.
func TestDecodeLinesAnswersEachLine(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- DecodeLines(inR, outW); outW.Close() }()
	answers := bufio.NewReader(outR)
	for _, line := range []string{reference(t, "empty global string"), "bad"} {
		if _, err := io.WriteString(inW, line+"\n"); err != nil {
			t.Fatal(err)
		}
		got := make(chan string, 1)
		go func() { s, _ := answers.ReadString('\n'); got <- s }()
		select {
		case s := <-got:
			decodeObject(t, []byte(s))
		case <-time.After(5 * time.Second):
			t.Fatal("no answer before the next line")
		}
	}
	inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
