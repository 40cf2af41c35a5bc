package synth

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/blindjoin/blindjoin/partner/consent/tcf"
)

// ErrTC is wrapped by every error EncodeTC returns.
var ErrTC = errors.New("synth: TC string field out of range")

// VendorEncoding chooses how EncodeTC writes a vendor section.
type VendorEncoding int

const (
	// Shortest writes a bit field or a list of ranges, whichever is
	// shorter (a bit field on a tie), as CMPs do.
	Shortest VendorEncoding = iota
	// BitField always writes one bit per vendor id up to MaxVendorId.
	BitField
	// Ranges always writes a list of single ids and id ranges.
	Ranges
)

// TC holds the fields of a TC string's core segment that EncodeTC writes.
// Version is always 2 and the string never has publisher restrictions or
// optional segments: this is test data for the decoder, not a CMP.
type TC struct {
	Created, LastUpdated time.Time // written in deciseconds since the Unix epoch, truncated
	CmpID, CmpVersion    int       // 0..4095
	ConsentScreen        int       // 0..63
	ConsentLanguage      string    // two letters A-Z (either case), e.g. "FR"
	VendorListVersion    int       // 0..4095
	PolicyVersion        int       // TcfPolicyVersion, 0..63 (4 and 5 for TCF 2.2)
	IsServiceSpecific    bool
	UseNonStandardTexts  bool
	SpecialFeatureOptIns tcf.Flags // special features 1..12
	PurposesConsent      tcf.Flags // purposes 1..24
	PurposesLI           tcf.Flags // PurposesLITransparency, purposes 1..24
	PurposeOneTreatment  bool
	PublisherCC          string // two letters A-Z (either case)
	// VendorConsents and VendorLI are vendor ids 1..65535 in any order,
	// repeats allowed; MaxVendorId is the largest (0 for none).
	VendorConsents []int
	VendorLI       []int
	VendorEncoding VendorEncoding // for both vendor sections
}

// Field widths of the core segment (IAB TCF v2.2 "Core String"), written
// out here rather than shared with the decoder, so that the round-trip tests
// would catch a wrong width on either side.
const (
	maxDeciseconds = 1<<36 - 1
	vendorIDBits   = 16
	numEntriesBits = 12
)

// EncodeTC encodes tc as a single-segment (core only) TCF v2 TC string:
// the fields in spec order, big-endian, zero-padded to a whole byte, in
// unpadded base64url. A value that does not fit its field is an error
// wrapping ErrTC, never silently truncated.
func EncodeTC(tc TC) (string, error) {
	if err := tc.check(); err != nil {
		return "", err
	}
	tail, err := vendorTail(tc.VendorConsents, tc.VendorLI, tc.VendorEncoding)
	if err != nil {
		return "", err
	}
	return tc.encode(tail), nil
}

// vendorTail encodes what follows the fixed fields of the core segment:
// both vendor sections and an empty list of publisher restrictions. The
// generator encodes it once per vendor set rather than once per row.
func vendorTail(consents, lis []int, enc VendorEncoding) (*bitWriter, error) {
	consents, err := vendorIDs(consents, "VendorConsents")
	if err != nil {
		return nil, err
	}
	lis, err = vendorIDs(lis, "VendorLegitimateInterests")
	if err != nil {
		return nil, err
	}
	w := &bitWriter{}
	w.vendorSection(consents, enc)
	w.vendorSection(lis, enc)
	w.put(0, numEntriesBits) // NumPubRestrictions
	return w, nil
}

// check reports the first fixed field of tc that does not fit.
func (tc TC) check() error {
	fields := [...]struct {
		name string
		ok   bool
	}{
		{"Created", deciseconds(tc.Created) >= 0},
		{"LastUpdated", deciseconds(tc.LastUpdated) >= 0},
		{"CmpId", tc.CmpID >= 0 && tc.CmpID < 1<<12},
		{"CmpVersion", tc.CmpVersion >= 0 && tc.CmpVersion < 1<<12},
		{"ConsentScreen", tc.ConsentScreen >= 0 && tc.ConsentScreen < 1<<6},
		{"ConsentLanguage", letters(tc.ConsentLanguage) >= 0},
		{"VendorListVersion", tc.VendorListVersion >= 0 && tc.VendorListVersion < 1<<12},
		{"TcfPolicyVersion", tc.PolicyVersion >= 0 && tc.PolicyVersion < 1<<6},
		{"SpecialFeatureOptIns", tc.SpecialFeatureOptIns < 1<<12},
		{"PurposesConsent", tc.PurposesConsent < 1<<24},
		{"PurposesLITransparency", tc.PurposesLI < 1<<24},
		{"PublisherCC", letters(tc.PublisherCC) >= 0},
	}
	for _, f := range fields {
		if !f.ok {
			return fmt.Errorf("%w: %s", ErrTC, f.name)
		}
	}
	return nil
}

// encode writes the fixed fields of tc, which check accepted, then tail
// (tc's vendor lists are ignored: tail encodes them).
func (tc TC) encode(tail *bitWriter) string {
	w := &bitWriter{buf: make([]byte, 0, 32+len(tail.buf)+1)}
	w.put(2, 6) // Version
	w.put(uint64(deciseconds(tc.Created)), 36)
	w.put(uint64(deciseconds(tc.LastUpdated)), 36)
	w.put(uint64(tc.CmpID), 12)
	w.put(uint64(tc.CmpVersion), 12)
	w.put(uint64(tc.ConsentScreen), 6)
	w.put(uint64(letters(tc.ConsentLanguage)), 12)
	w.put(uint64(tc.VendorListVersion), 12)
	w.put(uint64(tc.PolicyVersion), 6)
	w.bool(tc.IsServiceSpecific)
	w.bool(tc.UseNonStandardTexts)
	w.flags(tc.SpecialFeatureOptIns, 12)
	w.flags(tc.PurposesConsent, 24)
	w.flags(tc.PurposesLI, 24)
	w.bool(tc.PurposeOneTreatment)
	w.put(uint64(letters(tc.PublisherCC)), 12)
	w.append(tail)
	return w.encode()
}

// deciseconds converts t to the 36-bit count of deciseconds since the
// epoch, or -1 if it does not fit.
func deciseconds(t time.Time) int64 {
	ms := t.UnixMilli()
	if ms < 0 || ms/100 > maxDeciseconds {
		return -1
	}
	return ms / 100
}

// letters packs a two-letter code, six bits per letter, a=0 .. z=25, or
// returns -1 if code is not two ASCII letters.
func letters(code string) int {
	if len(code) != 2 {
		return -1
	}
	v := 0
	for i := range 2 {
		c := code[i] | 0x20 // ASCII lower case; non-letters fail below
		if c < 'a' || c > 'z' {
			return -1
		}
		v = v<<6 | int(c-'a')
	}
	return v
}

// vendorIDs checks ids and returns them sorted without repeats, copying
// only when the caller's slice is not already in that form.
func vendorIDs(ids []int, field string) ([]int, error) {
	sorted := true
	for i, id := range ids {
		if id < 1 || id > tcf.MaxVendorID {
			return nil, fmt.Errorf("%w: %s", ErrTC, field)
		}
		sorted = sorted && (i == 0 || ids[i-1] < id)
	}
	if sorted {
		return ids, nil
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// vendorSection appends MaxVendorId, IsRangeEncoding and the bit field or
// range entries for ids (sorted, distinct).
func (w *bitWriter) vendorSection(ids []int, enc VendorEncoding) {
	maxID := 0
	if len(ids) > 0 {
		maxID = ids[len(ids)-1]
	}
	entries, rangeBits := 0, numEntriesBits
	for i := 0; i < len(ids); {
		j := runEnd(ids, i)
		entries++
		rangeBits += 1 + vendorIDBits
		if j > i {
			rangeBits += vendorIDBits
		}
		i = j + 1
	}
	w.put(uint64(maxID), vendorIDBits)
	if enc == Ranges || enc == Shortest && rangeBits < maxID {
		w.put(1, 1)
		w.put(uint64(entries), numEntriesBits)
		for i := 0; i < len(ids); {
			j := runEnd(ids, i)
			if j > i {
				w.put(1, 1)
				w.put(uint64(ids[i]), vendorIDBits)
				w.put(uint64(ids[j]), vendorIDBits)
			} else {
				w.put(0, 1)
				w.put(uint64(ids[i]), vendorIDBits)
			}
			i = j + 1
		}
		return
	}
	w.put(0, 1)
	// The bit field, 32 bits at a time: bit i of the field is vendor i+1.
	next := 0
	for base := 0; base < maxID; base += 32 {
		width := min(32, maxID-base)
		var v uint64
		for ; next < len(ids) && ids[next] <= base+width; next++ {
			v |= 1 << (width - (ids[next] - base))
		}
		w.put(v, uint(width))
	}
}

// runEnd returns the index of the last id of the run of consecutive ids
// that starts at index i of ids (sorted, distinct).
func runEnd(ids []int, i int) int {
	for i+1 < len(ids) && ids[i+1] == ids[i]+1 {
		i++
	}
	return i
}
