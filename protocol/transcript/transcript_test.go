package transcript

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestKnownAnswer pins the encoding, chain and signature to values computed
// independently in Python from the package documentation.
func TestKnownAnswer(t *testing.T) {
	const (
		genesis = "7ac8d3f709faef7f7335057654205d7c4c9f97bec9ec95da39fa6a282018f3c7"
		head1   = "ae2c9c46a79a6b3dbf773816d76b005545adcda10c32833b69b033b044229d9c"
		head2   = "17eab4234138f09d1f0884cac9c9170d09a80e48faa2fb869e2b4bbcfb5c2e5c"
		event2  = "000000000000000200000000683c40c11dcd65000000000a706172746e65722dc3a90000000d706172745f75706c6f616465640000000400000006646967657374000000406162616261626162616261626162616261626162616261626162616261626162616261626162616261626162616261626162616261626162616261626162616200000004706172740000000130000000077265636f726473000000043130303000000004736964650000000a61647665727469736572"
		pub     = "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664"
		sig     = "2a862f01baae7ebd537a082a6d69d3bc05d0a258a5fa6564d4f6c1b44f80298d9dd19ad9bd9c6cf3077228d7d516921f3d758ef1ee3c6f16ef52adf46e5e160f"
	)
	events := katEvents()
	h := Genesis("sess-0001")
	if hex.EncodeToString(h[:]) != genesis {
		t.Fatalf("Genesis = %x", h)
	}
	if got := hex.EncodeToString(appendCanonical(nil, events[1])); got != event2 {
		t.Fatalf("canonical(event 2) = %s", got)
	}
	h = Append(h, events[0])
	if hex.EncodeToString(h[:]) != head1 {
		t.Fatalf("head_1 = %x", h)
	}
	h = Append(h, events[1])
	if hex.EncodeToString(h[:]) != head2 {
		t.Fatalf("head_2 = %x", h)
	}
	if hex.EncodeToString(testPub()) != pub {
		t.Fatalf("test key mismatch")
	}
	tr := seal(t, "sess-0001", events)
	if tr.Head.Hash != h || tr.Head.Seq != 2 || hex.EncodeToString(tr.Head.Signature) != sig {
		t.Fatalf("Seal head = %+v", tr.Head)
	}
	if err := Verify(tr, testPub()); err != nil {
		t.Fatal(err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	tr := seal(t, "6f1c2a9e-sess", sessionEvents())
	b := marshal(t, tr)
	got, err := ParseTranscript(b)
	if err != nil {
		t.Fatalf("ParseTranscript: %v\n%s", err, b)
	}
	if err := Verify(got, testPub()); err != nil {
		t.Fatal(err)
	}
	// Data nil and empty are the same event; compare through the encoding.
	if !bytes.Equal(marshal(t, got), b) {
		t.Fatalf("round trip changed the transcript:\n%s\n%s", marshal(t, got), b)
	}
	if !reflect.DeepEqual(got.Head, tr.Head) {
		t.Fatalf("head changed: %+v", got.Head)
	}
}

func TestEventJSONTime(t *testing.T) {
	local := time.FixedZone("CEST", 2*3600)
	e := Event{Seq: 1, Time: time.Date(2025, 6, 1, 14, 0, 0, 120000000, local), Actor: "a", Type: "t"}
	b, err := e.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"seq":1,"time":"2025-06-01T12:00:00.12Z","actor":"a","type":"t","data":{}}`; string(b) != want {
		t.Fatalf("MarshalJSON = %s, want %s", b, want)
	}
	// The chain depends on the instant only, not on the zone of Time.
	utc := e
	utc.Time = e.Time.UTC()
	if Append([32]byte{}, e) != Append([32]byte{}, utc) {
		t.Fatal("time zone changes the hash")
	}
}

func TestSealRejects(t *testing.T) {
	events := katEvents()
	if _, err := Seal(testKey(), "k1", "bad id", events); !errors.Is(err, ErrSession) {
		t.Errorf("bad session id: %v", err)
	}
	if _, err := Seal(testKey(), "", "s", events); !errors.Is(err, ErrHead) {
		t.Errorf("empty key id: %v", err)
	}
	if _, err := Seal(testKey()[:10], "k1", "s", events); !errors.Is(err, ErrKey) {
		t.Errorf("short private key: %v", err)
	}
	if _, err := Seal(testKey(), "k1", "s", nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("no events: %v", err)
	}
	bad := katEvents()
	bad[1].Seq = 3
	var ee *EventError
	if _, err := Seal(testKey(), "k1", "s", bad); !errors.As(err, &ee) || ee.Index != 1 || !errors.Is(err, ErrSeq) {
		t.Errorf("seq gap: %v", err)
	}
}

func TestEventValidate(t *testing.T) {
	ok := Event{Seq: 1, Time: t0, Actor: "server", Type: "computed", Data: map[string]string{"result_digest": "00", "empty": ""}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	long := string(bytes.Repeat([]byte("x"), MaxValue+1))
	tests := map[string]func(e *Event){
		"seq 0":              func(e *Event) { e.Seq = 0 },
		"zero time":          func(e *Event) { e.Time = time.Time{} },
		"year 10000":         func(e *Event) { e.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"empty actor":        func(e *Event) { e.Actor = "" },
		"actor newline":      func(e *Event) { e.Actor = "a\nb" },
		"actor invalid utf8": func(e *Event) { e.Actor = "\xff" },
		"actor too long":     func(e *Event) { e.Actor = string(bytes.Repeat([]byte("a"), MaxActor+1)) },
		"empty type":         func(e *Event) { e.Type = "" },
		"type uppercase":     func(e *Event) { e.Type = "Computed" },
		"type space":         func(e *Event) { e.Type = "com puted" },
		"data key empty":     func(e *Event) { e.Data = map[string]string{"": "x"} },
		"data key dash":      func(e *Event) { e.Data = map[string]string{"a-b": "x"} },
		"data value control": func(e *Event) { e.Data = map[string]string{"a": "x\x00"} },
		"data value long":    func(e *Event) { e.Data = map[string]string{"a": long} },
		"too many pairs": func(e *Event) {
			e.Data = map[string]string{}
			for i := range MaxDataPairs + 1 {
				e.Data["k"+string(rune('a'+i/26))+string(rune('a'+i%26))] = "v"
			}
		},
	}
	for name, edit := range tests {
		e := ok
		e.Data = map[string]string{"a": "b"}
		edit(&e)
		if err := e.Validate(); !errors.Is(err, ErrEvent) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
