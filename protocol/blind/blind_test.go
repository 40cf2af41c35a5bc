package blind

import (
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/gtank/ristretto255"

	"github.com/blindjoin/blindjoin/protocol"
)

// userDigest is SHA-256("user@example.com"), DESIGN.md section 3.
const userDigest = "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"

// Known answers under protocol.DST, computed with the reference backend
// (circl), which also reproduces the RFC 9497 vectors.
const (
	userElement = "a0a0340f245213b6751cc20188c31019222a84db3920607c5076ff7991607843" // HashToElement(userDigest)
	userBlind7  = "98c00dc3222b259b73f172dad775a0c2553f0579799a4525b6797902fb633b3e" // 7 * userElement
	userJoin7   = "423ce09c48bd0552173db00531dfd16e"                                 // JoinDigest(userBlind7), by Python hashlib
)

func TestHashToElementKnownAnswer(t *testing.T) {
	d := unhex(t, userDigest)
	if got := HashToElement(d); hex.EncodeToString(got[:]) != userElement {
		t.Fatalf("HashToElement = %x, want %s", got[:], userElement)
	}
	got := testKey(t, 7).Blind((*[32]byte)(d))
	if hex.EncodeToString(got[:]) != userBlind7 {
		t.Fatalf("Blind = %x, want %s", got[:], userBlind7)
	}
	if j := JoinDigest(&got); hex.EncodeToString(j[:]) != userJoin7 {
		t.Fatalf("JoinDigest = %x, want %s", j[:], userJoin7)
	}
}

// TestHashToElementIsNotTheSHA512Shortcut guards against the tempting
// mistake DESIGN.md section 7 records: the one-way map of SHA-512(d) is not
// hash_to_ristretto255 and matches neither backend. Neither is a missing or
// different DST.
func TestHashToElementIsNotTheSHA512Shortcut(t *testing.T) {
	r := newRand(5)
	for range 20 {
		var d [32]byte
		_, _ = r.Read(d[:])
		want := HashToElement(d[:])
		var ref Element
		newReference(protocol.DST).hashToElement(&ref, d[:])
		if want != ref {
			t.Fatal("backends disagree")
		}
		h := sha512.Sum512(d[:])
		var p ristretto255.Element
		_, _ = p.SetUniformBytes(h[:])
		if Element(p.Bytes()) == want {
			t.Fatal("HashToElement equals the one-way map of SHA-512(d)")
		}
		if hashToElementWithDST(d[:], "BLINDJOIN-V1-CS01-with-ristretto255_XMD:SHA-512_R255MAP_NU_") == want {
			t.Fatal("HashToElement does not depend on the DST")
		}
	}
}

func TestTwoPartiesMatch(t *testing.T) {
	r := newRand(6)
	a, _ := GenerateKey(r)
	b, _ := GenerateKey(r)
	var d1, d2 [32]byte
	_, _ = r.Read(d1[:])
	_, _ = r.Read(d2[:])
	double := func(first, second *Key, d *[32]byte) Element {
		e := first.Blind(d)
		out, err := second.Reblind(&e)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if double(a, b, &d1) != double(b, a, &d1) {
		t.Fatal("a*(b*P) != b*(a*P)")
	}
	if double(a, b, &d1) == double(b, a, &d2) {
		t.Fatal("different digests matched")
	}
	if a.Blind(&d1) == b.Blind(&d1) {
		t.Fatal("different keys gave the same blinded value")
	}
}

func TestReblindRejects(t *testing.T) {
	k := testKey(t, 9)
	var zero Element
	if _, err := k.Reblind(&zero); !errors.Is(err, ErrIdentity) {
		t.Errorf("identity: err = %v", err)
	}
	bad := Element(unhex(t, fieldPrime))
	if out, err := k.Reblind(&bad); !errors.Is(err, ErrNonCanonical) || out != (Element{}) {
		t.Errorf("s = p: err = %v", err)
	}
}
