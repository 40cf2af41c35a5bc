package blind

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// The published vectors and the project's, replayed through the batch path:
// its own decoder and map, the group multiplier this machine selects
// (BackendName) and the batch encoder. vectors_test.go and testvectors
// replay them through the single-element path, strictly; these read only
// the fields they need.

// TestBackendSelected fails when CI expects a backend (on a machine it knows
// to have AVX-512 IFMA, or with the purego tag) and another one runs.
func TestBackendSelected(t *testing.T) {
	want := os.Getenv("BLINDJOIN_EXPECT_BACKEND")
	t.Logf("batch backend: %s", BackendName())
	if want != "" && BackendName() != want {
		t.Fatalf("BackendName() = %q, BLINDJOIN_EXPECT_BACKEND = %q", BackendName(), want)
	}
	if n := BackendName(); n != backendPortable && n != backendIFMA {
		t.Fatalf("BackendName() = %q", n)
	}
}

// groupBlind runs uniform through the batch path's map, multiplication by
// k and encoder (the machine's backend): k times the elements whose
// expand_message_xmd outputs are uniform[i].
func groupBlind(uniform [][64]byte, k *Key) []Element {
	out := make([]Element, len(uniform))
	backendFor(halfKey(k), false)().blindGroup(out, uniform)
	return out
}

func TestRFC9496ThroughBatches(t *testing.T) {
	var file rfc9496File
	readVectors(t, "rfc9496_ristretto255.json", &file)
	gen := *unhexElement(t, file.Multiple.B[1])
	// i * B for i = 1..15, each in a batch of 15 copies of B, so that the
	// result shows in every lane.
	in := make([]Element, 15)
	for i := range in {
		in[i] = gen
	}
	for i := 1; i < len(file.Multiple.B); i++ {
		out := make([]Element, len(in))
		if err := testKey(t, byte(i)).ReblindBatch(out, in); err != nil {
			t.Fatal(err)
		}
		for j := range out {
			if got := hex.EncodeToString(out[j][:]); got != file.Multiple.B[i] {
				t.Fatalf("%d * B, element %d: %s, want %s", i, j, got, file.Multiple.B[i])
			}
		}
	}

	// Each invalid encoding alone, then all of them after a valid one.
	k := testKey(t, 3)
	all := []Element{gen}
	for i, s := range file.Invalid.Encodings {
		e := *unhexElement(t, s)
		all = append(all, e)
		err := k.ReblindBatch(make([]Element, 1), []Element{e})
		var be *BatchError
		if !errors.As(err, &be) || be.Index != 0 || !errors.Is(err, ErrNonCanonical) {
			t.Errorf("invalid encoding #%d: err = %v", i, err)
		}
	}
	err := k.ReblindJoinBatch(make([][JoinDigestSize]byte, len(all)), all)
	var be *BatchError
	if !errors.As(err, &be) || be.Index != 1 || !errors.Is(err, ErrNonCanonical) {
		t.Errorf("invalid encodings after a valid one: err = %v", err)
	}

	// The one-way map (A.3): every input in one group.
	var inputs, outputs []string
	for _, v := range file.Derivation.Vectors {
		inputs, outputs = append(inputs, v.I), append(outputs, v.O)
	}
	for _, i := range file.Derivation.SameOutput.I {
		inputs, outputs = append(inputs, i), append(outputs, file.Derivation.SameOutput.O)
	}
	uniform := make([][64]byte, len(inputs))
	for i, s := range inputs {
		uniform[i] = [64]byte(unhex(t, s))
	}
	one, err := ParseKey(append([]byte{1}, make([]byte, 31)...))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range groupBlind(uniform, one) {
		if got := hex.EncodeToString(e[:]); got != outputs[i] {
			t.Errorf("derivation %d: %s, want %s", i, got, outputs[i])
		}
	}
}

func TestRFC9497ThroughBatches(t *testing.T) {
	var file struct {
		SkSm    string `json:"skSm"`
		Vectors []struct {
			Input             string `json:"Input"`
			Blind             string `json:"Blind"`
			BlindedElement    string `json:"BlindedElement"`
			EvaluationElement string `json:"EvaluationElement"`
		} `json:"vectors"`
	}
	b, err := os.ReadFile(upstream + "rfc9497_oprf_ristretto255_sha512.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	skS, err := ParseKey(unhex(t, file.SkSm))
	if err != nil {
		t.Fatal(err)
	}
	x := newXMD(oprfHashToGroup)
	var u [64]byte
	for i, v := range file.Vectors {
		blind, err := ParseKey(unhex(t, v.Blind))
		if err != nil {
			t.Fatal(err)
		}
		x.expand(u[:], unhex(t, v.Input))
		if got := hex.EncodeToString(groupBlind([][64]byte{u}, blind)[0][:]); got != v.BlindedElement {
			t.Errorf("vector %d: BlindedElement %s, want %s", i, got, v.BlindedElement)
		}
		out := make([]Element, 1)
		if err := skS.ReblindBatch(out, []Element{*unhexElement(t, v.BlindedElement)}); err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(out[0][:]); got != v.EvaluationElement {
			t.Errorf("vector %d: EvaluationElement %s, want %s", i, got, v.EvaluationElement)
		}
	}
}

// TestProjectVectorsThroughBatches replays the valid records of
// testvectors/records.json as one batch per step, and its encodings one by
// one through ReblindBatch with the key 1.
func TestProjectVectorsThroughBatches(t *testing.T) {
	var recs struct {
		KeyA    string `json:"key_a"`
		KeyB    string `json:"key_b"`
		Records []struct {
			Expect     string `json:"expect"`
			SHA256     string `json:"sha256"`
			BlindedA   string `json:"blinded_a"`
			BlindedAB  string `json:"blinded_ab"`
			JoinDigest string `json:"join_digest"`
		} `json:"records"`
	}
	b, err := os.ReadFile("../../testvectors/records.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	keyA, err := ParseKey(unhex(t, recs.KeyA))
	if err != nil {
		t.Fatal(err)
	}
	keyB, err := ParseKey(unhex(t, recs.KeyB))
	if err != nil {
		t.Fatal(err)
	}
	var digests [][32]byte
	var wantA, wantAB, wantJoin []string
	for _, r := range recs.Records {
		if r.Expect != "valid" {
			continue
		}
		digests = append(digests, [32]byte(unhex(t, r.SHA256)))
		wantA, wantAB, wantJoin = append(wantA, r.BlindedA), append(wantAB, r.BlindedAB), append(wantJoin, r.JoinDigest)
	}
	if len(digests) < 9 {
		t.Fatalf("only %d valid records: they no longer fill two groups of eight lanes", len(digests))
	}
	n := len(digests)
	blindedA, blindedAB, joins := make([]Element, n), make([]Element, n), make([][JoinDigestSize]byte, n)
	if err := keyA.BlindBatch(blindedA, digests); err != nil {
		t.Fatal(err)
	}
	if err := keyB.ReblindBatch(blindedAB, blindedA); err != nil {
		t.Fatal(err)
	}
	if err := keyB.ReblindJoinBatch(joins, blindedA); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if got := hex.EncodeToString(blindedA[i][:]); got != wantA[i] {
			t.Errorf("record %d: blinded_a %s, want %s", i, got, wantA[i])
		}
		if got := hex.EncodeToString(blindedAB[i][:]); got != wantAB[i] {
			t.Errorf("record %d: blinded_ab %s, want %s", i, got, wantAB[i])
		}
		if got := hex.EncodeToString(joins[i][:]); got != wantJoin[i] {
			t.Errorf("record %d: join_digest %s, want %s", i, got, wantJoin[i])
		}
	}

	var encs struct {
		Encodings []struct {
			Encoding string `json:"encoding"`
			Valid    bool   `json:"valid"`
		} `json:"encodings"`
	}
	if b, err = os.ReadFile("../../testvectors/encodings.json"); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &encs); err != nil {
		t.Fatal(err)
	}
	one := testKey(t, 1)
	var checked int
	for i, e := range encs.Encodings {
		raw := unhex(t, e.Encoding)
		if len(raw) != len(Element{}) {
			continue // length errors never reach a batch: Element is fixed-size
		}
		out := make([]Element, 1)
		err := one.ReblindBatch(out, []Element{Element(raw)})
		if e.Valid != (err == nil) || e.Valid && out[0] != Element(raw) {
			t.Errorf("encoding %d (valid %v): err = %v, out %x", i, e.Valid, err, out[0][:])
		}
		if !e.Valid && !errors.Is(err, ErrInvalidElement) {
			t.Errorf("encoding %d: err = %v", i, err)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d encodings checked", checked)
	}
}
