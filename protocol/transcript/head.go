package transcript

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
)

// MaxID is the longest session id or key id.
const MaxID = 128

// Head is the signed summary of a transcript: the chain hash after its last
// event.
type Head struct {
	SessionID string
	Seq       uint64   // number of events covered
	Hash      [32]byte // head_Seq
	KeyID     string   // which server key signed
	Signature []byte   // Ed25519 over signedMessage
}

// validID reports whether s is 1..MaxID printable ASCII characters other
// than space: ids are separated by newlines in the signed message.
func validID(s string) bool {
	if len(s) == 0 || len(s) > MaxID {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// signedMessage is the byte string the server signs (see the package
// documentation).
func (h Head) signedMessage() []byte {
	msg := domain + " head\n" + h.SessionID + "\n" + strconv.FormatUint(h.Seq, 10) + "\n" +
		hex.EncodeToString(h.Hash[:]) + "\n" + h.KeyID
	return []byte(msg)
}

// Sign returns the head of a chain of seq events ending at hash, signed with
// priv under the name keyID.
func Sign(priv ed25519.PrivateKey, keyID, sessionID string, seq uint64, hash [32]byte) (Head, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return Head{}, fmt.Errorf("%w: private key size", ErrKey)
	}
	if !validID(sessionID) {
		return Head{}, ErrSession
	}
	if !validID(keyID) {
		return Head{}, fmt.Errorf("%w: key id", ErrHead)
	}
	h := Head{SessionID: sessionID, Seq: seq, Hash: hash, KeyID: keyID}
	h.Signature = ed25519.Sign(priv, h.signedMessage())
	return h, nil
}

// headJSON is the JSON form of a Head, with hash and signature in hex.
type headJSON struct {
	SessionID string `json:"session_id"`
	Seq       uint64 `json:"seq"`
	Hash      string `json:"hash"`
	KeyID     string `json:"key_id"`
	Signature string `json:"signature"`
}

func (h Head) MarshalJSON() ([]byte, error) {
	return json.Marshal(headJSON{h.SessionID, h.Seq, hex.EncodeToString(h.Hash[:]), h.KeyID, hex.EncodeToString(h.Signature)})
}

// UnmarshalJSON reads a head; hash and signature must be lowercase hex of
// the right length.
func (h *Head) UnmarshalJSON(b []byte) error {
	var j headJSON
	if err := strictUnmarshal(b, &j); err != nil {
		return err
	}
	hash, ok := decodeHex(j.Hash, 32)
	if !ok {
		return fmt.Errorf("%w: hash must be 64 lowercase hex digits", ErrHead)
	}
	sig, ok := decodeHex(j.Signature, ed25519.SignatureSize)
	if !ok {
		return fmt.Errorf("%w: signature must be 128 lowercase hex digits", ErrHead)
	}
	*h = Head{SessionID: j.SessionID, Seq: j.Seq, KeyID: j.KeyID, Signature: sig}
	copy(h.Hash[:], hash)
	return nil
}

// decodeHex decodes exactly n bytes of lowercase hex, the only spelling
// accepted so that one value has one encoding.
func decodeHex(s string, n int) ([]byte, bool) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != n || hex.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}
