package blind

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"testing/iotest"
)

// groupOrder is l = 2^252 + 27742317777372353535851937790883648493
// (RFC 9496 section 4.4), computed here independently of the libraries.
func groupOrder() *big.Int {
	l, _ := new(big.Int).SetString("27742317777372353535851937790883648493", 10)
	return l.Add(l, new(big.Int).Lsh(big.NewInt(1), 252))
}

func leInt(b []byte) *big.Int {
	be := bytes.Clone(b)
	for i, j := 0, len(be)-1; i < j; i, j = i+1, j-1 {
		be[i], be[j] = be[j], be[i]
	}
	return new(big.Int).SetBytes(be)
}

func le32(n *big.Int) []byte {
	b := make([]byte, 32)
	n.FillBytes(b)
	for i, j := 0, 31; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return b
}

func TestParseKeyHostile(t *testing.T) {
	l := groupOrder()
	one := big.NewInt(1)
	tests := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"nil", nil, false},
		{"31 bytes", make([]byte, 31), false},
		{"33 bytes", append(le32(one), 0), false},
		{"zero", make([]byte, 32), false},
		{"l", le32(l), false},
		{"l + 1 (reduces to 1)", le32(new(big.Int).Add(l, one)), false},
		{"2l", le32(new(big.Int).Lsh(l, 1)), false},
		{"2^256 - 1", bytes.Repeat([]byte{0xff}, 32), false},
		{"1 with bit 255 set", append(le32(one)[:31], 0x80), false},
		{"1", le32(one), true},
		{"l - 1", le32(new(big.Int).Sub(l, one)), true},
		{"2^252 - 1", le32(new(big.Int).Sub(new(big.Int).Lsh(one, 252), one)), true},
	}
	for _, tc := range tests {
		k, err := ParseKey(tc.in)
		if !tc.ok {
			if !errors.Is(err, ErrInvalidKey) || k != nil {
				t.Errorf("%s: got key %v, err %v; want ErrInvalidKey", tc.name, k != nil, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		} else if !bytes.Equal(k.Bytes(), tc.in) {
			t.Errorf("%s: Bytes does not round-trip", tc.name)
		}
	}
}

func FuzzParseKey(f *testing.F) {
	l := groupOrder()
	f.Add(le32(big.NewInt(1)))
	f.Add(le32(l))
	f.Add(le32(new(big.Int).Sub(l, big.NewInt(1))))
	f.Add(make([]byte, 32))
	f.Add(bytes.Repeat([]byte{0xff}, 32))
	f.Add([]byte{7})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKey(b)
		n := leInt(b)
		valid := len(b) == 32 && n.Sign() > 0 && n.Cmp(l) < 0
		if valid != (err == nil) {
			t.Fatalf("valid = %v but err = %v", valid, err)
		}
		if err != nil {
			if len(b) >= 4 && strings.Contains(err.Error(), hex.EncodeToString(b[:4])) {
				t.Fatalf("error message shows the input: %v", err)
			}
			return
		}
		if !bytes.Equal(k.Bytes(), b) {
			t.Fatal("Bytes does not round-trip")
		}
	})
}

func TestGenerateKeyReducesWideBytes(t *testing.T) {
	r := newRand(3)
	for range 50 {
		var wide [64]byte
		_, _ = r.Read(wide[:])
		k, err := GenerateKey(bytes.NewReader(wide[:]))
		if err != nil {
			t.Fatal(err)
		}
		want := le32(new(big.Int).Mod(leInt(wide[:]), groupOrder()))
		if !bytes.Equal(k.Bytes(), want) {
			t.Fatalf("GenerateKey = %x, want the 64 bytes mod l = %x", k.Bytes(), want)
		}
		if _, err := ParseKey(k.Bytes()); err != nil {
			t.Fatalf("generated key does not parse: %v", err)
		}
	}
}

func TestGenerateKeyBrokenRandomness(t *testing.T) {
	boom := errors.New("entropy pool on fire")
	wide := make([]byte, 64)
	tests := []struct {
		name  string
		r     io.Reader
		cause error
	}{
		{"failing reader", iotest.ErrReader(boom), boom},
		{"short stream", bytes.NewReader(wide[:10]), io.ErrUnexpectedEOF},
		{"empty stream", bytes.NewReader(nil), io.EOF},
		{"zeros", bytes.NewReader(wide), nil},
		{"l, which reduces to zero", bytes.NewReader(append(le32(groupOrder()), make([]byte, 32)...)), nil},
	}
	for _, tc := range tests {
		k, err := GenerateKey(tc.r)
		if k != nil || !errors.Is(err, ErrRandomness) {
			t.Errorf("%s: key %v, err %v; want ErrRandomness", tc.name, k != nil, err)
		}
		if tc.cause != nil && !errors.Is(err, tc.cause) {
			t.Errorf("%s: err %v does not wrap %v", tc.name, err, tc.cause)
		}
	}
}

func TestGenerateKeyShortReads(t *testing.T) {
	wide := bytes.Repeat([]byte{0xa5}, 64)
	a, err := GenerateKey(iotest.OneByteReader(bytes.NewReader(wide)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := GenerateKey(bytes.NewReader(wide))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("one-byte reads gave another key: the reader is not read with io.ReadFull")
	}
}

func TestKeyRedaction(t *testing.T) {
	k, err := GenerateKey(newRand(4))
	if err != nil {
		t.Fatal(err)
	}
	secret := k.Bytes()
	forms := []string{hex.EncodeToString(secret), fmt.Sprint(secret), fmt.Sprintf("%x", k.s.Bytes()), k.s.String()}

	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
		fmt.Fprintf(&out, verb+"\n", k)
		fmt.Fprintf(&out, verb+"\n", *k)
		fmt.Fprintf(&out, verb+"\n", struct{ K *Key }{k})
		fmt.Fprintf(&out, verb+"\n", []Key{*k})
	}
	fmt.Fprintln(&out, k.String(), k.GoString())
	for _, h := range []slog.Handler{slog.NewJSONHandler(&out, nil), slog.NewTextHandler(&out, nil)} {
		l := slog.New(h)
		l.Info("key", "k", k, "v", *k)
		l.Info("key", slog.Any("k", k), slog.Group("g", "k", k))
	}
	text := out.String()
	for _, s := range forms {
		if strings.Contains(text, s) {
			t.Fatalf("the scalar appears in formatted output:\n%s", text)
		}
	}
	if !strings.Contains(text, "redacted") {
		t.Fatalf("no redaction marker in:\n%s", text)
	}
}

func TestElementRedaction(t *testing.T) {
	e := HashToElement([]byte("somebody@example.com"))
	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d"} {
		fmt.Fprintf(&out, verb+"\n", e)
		fmt.Fprintf(&out, verb+"\n", &e)
	}
	slog.New(slog.NewJSONHandler(&out, nil)).Info("e", "e", e)
	if text := out.String(); strings.Contains(text, hex.EncodeToString(e[:])) || strings.Contains(text, fmt.Sprint(e[:])) {
		t.Fatalf("the element appears in formatted output:\n%s", text)
	}
}
