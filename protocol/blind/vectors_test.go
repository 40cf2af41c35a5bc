package blind

import (
	"bytes"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"testing"

	"github.com/cloudflare/circl/expander"
	"github.com/gtank/ristretto255"
)

// The upstream vectors are replayed as published (testvectors/upstream).
// Every intermediate value the files give is checked, through the production
// code and, where the operation exists there, the reference backend.

const upstream = "../../testvectors/upstream/"

// readVectors decodes a vector file strictly: an unknown or misspelt field
// fails the test instead of being skipped.
func readVectors(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(upstream + name)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if dec.More() {
		t.Fatalf("%s: trailing data", name)
	}
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in vector: %v", err)
	}
	return b
}

func unhexElement(t testing.TB, s string) *Element {
	t.Helper()
	b := unhex(t, s)
	if len(b) != len(Element{}) {
		t.Fatalf("vector element is %d bytes", len(b))
	}
	return (*Element)(b)
}

func TestRFC9380ExpandMessageXMD(t *testing.T) {
	var file struct {
		Source string `json:"source"`
		Name   string `json:"name"`
		Hash   string `json:"hash"`
		K      int    `json:"k"`
		DST    string `json:"DST"`
		Tests  []struct {
			Msg          string `json:"msg"`
			LenInBytes   string `json:"len_in_bytes"`
			DSTPrime     string `json:"DST_prime"`
			MsgPrime     string `json:"msg_prime"`
			UniformBytes string `json:"uniform_bytes"`
		} `json:"tests"`
	}
	readVectors(t, "rfc9380_expand_message_xmd_sha512.json", &file)
	if file.Name != "expand_message_xmd" || file.Hash != "SHA512" || len(file.Tests) != 10 {
		t.Fatalf("unexpected file header: %s %s, %d tests", file.Name, file.Hash, len(file.Tests))
	}
	x := newXMD(file.DST)
	circl := expander.NewExpanderMD(crypto512, []byte(file.DST))
	for i, tc := range file.Tests {
		n, err := strconv.ParseUint(tc.LenInBytes, 0, 16)
		if err != nil {
			t.Fatal(err)
		}
		msg := []byte(tc.Msg)
		if got := hex.EncodeToString(x.dstPrime); got != tc.DSTPrime {
			t.Errorf("#%d DST_prime = %s, want %s", i, got, tc.DSTPrime)
		}
		// msg_prime is Z_pad, which expand starts from as a saved state,
		// then the tail it writes.
		var mp bytes.Buffer
		mp.Write(make([]byte, sha512.BlockSize))
		x.writeMsgPrimeTail(&mp, msg, int(n))
		if got := hex.EncodeToString(mp.Bytes()); got != tc.MsgPrime {
			t.Errorf("#%d msg_prime = %s, want %s", i, got, tc.MsgPrime)
		}
		out := make([]byte, n)
		x.expand(out, msg)
		if got := hex.EncodeToString(out); got != tc.UniformBytes {
			t.Errorf("#%d uniform_bytes = %s, want %s", i, got, tc.UniformBytes)
		}
		if got := hex.EncodeToString(circl.Expand(msg, uint(n))); got != tc.UniformBytes {
			t.Errorf("#%d circl expander disagrees with the RFC: %s", i, got)
		}
	}
}

type rfc9496File struct {
	Source   string `json:"source"`
	Multiple struct {
		Section string   `json:"section"`
		B       []string `json:"B"`
	} `json:"multiples_of_generator"`
	Invalid struct {
		Section   string   `json:"section"`
		Encodings []string `json:"encodings"`
	} `json:"invalid_encodings"`
	Derivation struct {
		Section string `json:"section"`
		Vectors []struct {
			I string `json:"I"`
			O string `json:"O"`
		} `json:"vectors"`
		SameOutput struct {
			I []string `json:"I"`
			O string   `json:"O"`
		} `json:"same_output"`
	} `json:"element_derivation"`
}

func TestRFC9496MultiplesOfGenerator(t *testing.T) {
	var file rfc9496File
	readVectors(t, "rfc9496_ristretto255.json", &file)
	b := file.Multiple.B
	if len(b) != 16 {
		t.Fatalf("%d multiples, want 16", len(b))
	}
	if _, err := DecodeElement(unhex(t, b[0])); !errors.Is(err, ErrIdentity) {
		t.Errorf("B[0] (identity): err = %v, want ErrIdentity", err)
	}
	gen := unhexElement(t, b[1])
	for i := 1; i < len(b); i++ {
		e, err := DecodeElement(unhex(t, b[i]))
		if err != nil {
			t.Fatalf("B[%d]: %v", i, err)
		}
		if !newReference("unused").decode(&e) {
			t.Errorf("B[%d]: reference backend rejects it", i)
		}
		if i == 1 {
			continue // the scalar 1 is a valid key, but checks nothing
		}
		var s [32]byte
		s[0] = byte(i)
		k, err := ParseKey(s[:])
		if err != nil {
			t.Fatal(err)
		}
		got, err := k.Reblind(gen)
		if err != nil || got != e {
			t.Errorf("%d * B = %x (err %v), want B[%d]", i, got[:], err, i)
		}
	}
}

func TestRFC9496InvalidEncodings(t *testing.T) {
	var file rfc9496File
	readVectors(t, "rfc9496_ristretto255.json", &file)
	if len(file.Invalid.Encodings) != 29 {
		t.Fatalf("%d invalid encodings, want 29", len(file.Invalid.Encodings))
	}
	k := testKey(t, 7)
	for i, s := range file.Invalid.Encodings {
		e := unhexElement(t, s)
		if _, err := DecodeElement(e[:]); !errors.Is(err, ErrNonCanonical) {
			t.Errorf("#%d: DecodeElement err = %v, want ErrNonCanonical", i, err)
		}
		if _, err := k.Reblind(e); !errors.Is(err, ErrNonCanonical) {
			t.Errorf("#%d: Reblind err = %v, want ErrNonCanonical", i, err)
		}
		if newReference("unused").decode(e) {
			t.Errorf("#%d: reference backend accepts it", i)
		}
	}
}

func TestRFC9496ElementDerivation(t *testing.T) {
	var file rfc9496File
	readVectors(t, "rfc9496_ristretto255.json", &file)
	d := file.Derivation
	if len(d.Vectors) != 7 || len(d.SameOutput.I) != 4 {
		t.Fatalf("%d vectors and %d same-output inputs, want 7 and 4", len(d.Vectors), len(d.SameOutput.I))
	}
	check := func(name, in, want string) {
		var p ristretto255.Element
		if _, err := p.SetUniformBytes(unhex(t, in)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := hex.EncodeToString(p.Bytes()); got != want {
			t.Errorf("%s: O = %s, want %s", name, got, want)
		}
	}
	for i, v := range d.Vectors {
		check("vector "+strconv.Itoa(i), v.I, v.O)
	}
	for i, in := range d.SameOutput.I {
		check("same-output input "+strconv.Itoa(i), in, d.SameOutput.O)
	}
}

// RFC 9497 section 4.1 and 3.2: context string and DSTs for
// OPRF(ristretto255, SHA-512) in OPRF mode (mode 0x00).
const (
	oprfContext       = "OPRFV1-\x00-ristretto255-SHA512"
	oprfHashToGroup   = "HashToGroup-" + oprfContext
	oprfDeriveKeyPair = "DeriveKeyPair" + oprfContext
)

func TestRFC9497OPRF(t *testing.T) {
	var file struct {
		Source     string `json:"source"`
		Identifier string `json:"identifier"`
		Mode       int    `json:"mode"`
		Seed       string `json:"Seed"`
		KeyInfo    string `json:"KeyInfo"`
		SkSm       string `json:"skSm"`
		Vectors    []struct {
			Name              string `json:"name"`
			Input             string `json:"Input"`
			Blind             string `json:"Blind"`
			BlindedElement    string `json:"BlindedElement"`
			EvaluationElement string `json:"EvaluationElement"`
			Output            string `json:"Output"`
		} `json:"vectors"`
	}
	readVectors(t, "rfc9497_oprf_ristretto255_sha512.json", &file)
	if file.Identifier != "ristretto255-SHA512" || file.Mode != 0 || len(file.Vectors) != 2 {
		t.Fatalf("unexpected file header: %s mode %d, %d vectors", file.Identifier, file.Mode, len(file.Vectors))
	}

	// DeriveKeyPair (section 3.2.1), counter 0: HashToScalar is
	// expand_message_xmd to 64 bytes reduced modulo l (section 4.1).
	seed, info := unhex(t, file.Seed), unhex(t, file.KeyInfo)
	deriveInput := append(append(append(seed, byte(len(info)>>8), byte(len(info))), info...), 0)
	var wide [64]byte
	newXMD(oprfDeriveKeyPair).expand(wide[:], deriveInput)
	var derived ristretto255.Scalar
	if _, err := derived.SetUniformBytes(wide[:]); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(derived.Bytes()); got != file.SkSm {
		t.Errorf("DeriveKeyPair: skSm = %s, want %s", got, file.SkSm)
	}
	skS, err := ParseKey(unhex(t, file.SkSm))
	if err != nil {
		t.Fatal(err)
	}

	for _, v := range file.Vectors {
		input := unhex(t, v.Input)
		blind, err := ParseKey(unhex(t, v.Blind))
		if err != nil {
			t.Fatalf("%s: Blind: %v", v.Name, err)
		}
		for _, w := range []struct {
			name string
			b    backend
		}{{"fast", newFast(oprfHashToGroup)}, {"reference", newReference(oprfHashToGroup)}} {
			// Blind: BlindedElement = Blind * HashToGroup(Input).
			var blinded Element
			w.b.blind(&blinded, blind, input)
			if got := hex.EncodeToString(blinded[:]); got != v.BlindedElement {
				t.Errorf("%s, %s: BlindedElement = %s, want %s", v.Name, w.name, got, v.BlindedElement)
			}
			// BlindEvaluate: EvaluationElement = skS * BlindedElement.
			var evaluated Element
			if err := skS.reblind(w.b, &evaluated, unhexElement(t, v.BlindedElement)); err != nil {
				t.Fatalf("%s, %s: %v", v.Name, w.name, err)
			}
			if got := hex.EncodeToString(evaluated[:]); got != v.EvaluationElement {
				t.Errorf("%s, %s: EvaluationElement = %s, want %s", v.Name, w.name, got, v.EvaluationElement)
			}
		}
		// The exported path with the RFC's DST.
		p := hashToElementWithDST(input, oprfHashToGroup)
		if got, err := blind.Reblind(&p); err != nil || hex.EncodeToString(got[:]) != v.BlindedElement {
			t.Errorf("%s: Blind * hashToElementWithDST(Input) = %x (err %v), want %s", v.Name, got[:], err, v.BlindedElement)
		}

		// Finalize (section 3.3.1): unblind, then hash the transcript.
		unblinded := unblind(t, blind, unhexElement(t, v.EvaluationElement))
		evaluate, err := skS.Reblind(&p) // Evaluate (section 3.3.1): skS * HashToGroup(Input)
		if err != nil || evaluate != unblinded {
			t.Errorf("%s: Blind^-1 * EvaluationElement != skS * HashToGroup(Input)", v.Name)
		}
		h := sha512.New()
		h.Write(binary.BigEndian.AppendUint16(nil, uint16(len(input))))
		h.Write(input)
		h.Write(binary.BigEndian.AppendUint16(nil, uint16(len(unblinded))))
		h.Write(unblinded[:])
		h.Write([]byte("Finalize"))
		if got := hex.EncodeToString(h.Sum(nil)); got != v.Output {
			t.Errorf("%s: Output = %s, want %s", v.Name, got, v.Output)
		}
	}
}

// unblind returns blind^-1 * e with gtank directly: the protocol never
// unblinds, so the package has no such operation.
func unblind(t *testing.T, blind *Key, e *Element) Element {
	t.Helper()
	var inv ristretto255.Scalar
	inv.Invert(&blind.s)
	var p ristretto255.Element
	if _, err := p.SetCanonicalBytes(e[:]); err != nil {
		t.Fatal(err)
	}
	p.ScalarMult(&inv, &p)
	return Element(p.Bytes())
}
