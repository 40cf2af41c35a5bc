package transcript

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/blindjoin/blindjoin/protocol/wire"
)

// ErrUploadNotRecorded is returned by FindUpload for a part whose digest the
// transcript does not hold where that part belongs.
var ErrUploadNotRecorded = errors.New("transcript: upload not recorded")

// Upload is where a party's part file stands in a transcript.
type Upload struct {
	Kind    wire.Kind
	Part    uint32
	Side    string // the side whose event recorded the digest
	Records uint64
}

// FindUpload reads a part a party uploaded to the end, so that its digest is
// the trailer hash the decoder verified, and finds the event that recorded
// it: a blinded part under TypePartUploaded, a join part under
// TypeReblindedUploaded, with the part's index, in the transcript's session.
// Call Verify first: the answer is only as good as the transcript.
func (t Transcript) FindUpload(part io.Reader) (Upload, error) {
	r, err := wire.NewReader(part)
	if err != nil {
		return Upload{}, err
	}
	for {
		if _, err := r.Next(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return Upload{}, err
		}
	}
	h := r.Header()
	if got := hex.EncodeToString(h.Session[:]); got != t.SessionID {
		return Upload{}, fmt.Errorf("%w: the part belongs to session %s, not %s", ErrUploadNotRecorded, got, t.SessionID)
	}
	var eventType string
	switch h.Kind {
	case wire.KindBlinded:
		eventType = TypePartUploaded
	case wire.KindJoin:
		eventType = TypeReblindedUploaded
	default:
		return Upload{}, fmt.Errorf("%w: a %s part is not something a party uploads", ErrUploadNotRecorded, h.Kind)
	}
	digest := r.Digest()
	want := hex.EncodeToString(digest[:])
	index := strconv.FormatUint(uint64(h.Part), 10)
	digests := t.PartDigests()
	for _, side := range []string{"advertiser", "media_partner"} {
		if digests[PartKey{Type: eventType, Side: side, Part: index}] == want {
			return Upload{Kind: h.Kind, Part: h.Part, Side: side, Records: r.Records()}, nil
		}
	}
	return Upload{}, fmt.Errorf("%w: no digest of %s part %s matches", ErrUploadNotRecorded, h.Kind, index)
}
