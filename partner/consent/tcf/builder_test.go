package tcf

// A minimal TC string encoder for tests: it writes fields bit by bit and
// base64url-encodes them, so hostile and edge-case strings can be built
// field by field, independently of the decoder under test.

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

type bitWriter struct{ bits []byte }

// put appends v as an n-bit big-endian field.
func (w *bitWriter) put(n int, v uint64) *bitWriter {
	for i := n - 1; i >= 0; i-- {
		w.bits = append(w.bits, byte(v>>i&1))
	}
	return w
}

// flags appends an n-bit field with a one for each id (1-based, first bit).
func (w *bitWriter) flags(n int, ids ...int) *bitWriter {
	start := len(w.bits)
	w.put(n, 0)
	for _, id := range ids {
		w.bits[start+id-1] = 1
	}
	return w
}

// encode pads with zero bits to whole characters.
func (w *bitWriter) encode() string {
	out := make([]byte, 0, len(w.bits)/6+1)
	for i := 0; i < len(w.bits); i += 6 {
		var c byte
		for j := range 6 {
			c <<= 1
			if i+j < len(w.bits) {
				c |= w.bits[i+j]
			}
		}
		out = append(out, alphabet[c])
	}
	return string(out)
}

// section writes one field group (a vendor section, restrictions...).
type section func(*bitWriter)

// bitField is a vendor section in bit-field encoding.
func bitField(maxID int, ids ...int) section {
	return func(w *bitWriter) { w.put(16, uint64(maxID)).put(1, 0).flags(maxID, ids...) }
}

// entry is one RangeEntry; end 0 writes a single id.
type entry struct{ start, end int }

func writeEntries(w *bitWriter, entries []entry) {
	w.put(12, uint64(len(entries)))
	for _, e := range entries {
		if e.end == 0 {
			w.put(1, 0).put(16, uint64(e.start))
		} else {
			w.put(1, 1).put(16, uint64(e.start)).put(16, uint64(e.end))
		}
	}
}

// ranges is a vendor section in range encoding.
func ranges(maxID int, entries ...entry) section {
	return func(w *bitWriter) {
		w.put(16, uint64(maxID)).put(1, 1)
		writeEntries(w, entries)
	}
}

// restriction is one PubRestrictionEntry.
type restriction struct {
	purpose, typ int
	entries      []entry
}

func restrictions(rs ...restriction) section {
	return func(w *bitWriter) {
		w.put(12, uint64(len(rs)))
		for _, r := range rs {
			w.put(6, uint64(r.purpose)).put(2, uint64(r.typ))
			writeEntries(w, r.entries)
		}
	}
}

// coreSpec holds the raw field values of a core segment; newCore fills it
// with a valid string that tests then break one field at a time.
type coreSpec struct {
	version, cmpID, cmpVersion, screen int
	language, cc                       [2]uint64
	vendorListVersion, policy          int
	serviceSpecific, nonStandard       bool
	specialFeatures, consents, lis     []int
	purposeOneTreatment                bool
	created, updated                   uint64 // deciseconds
	vendorConsents, vendorLI           section
	restrictions                       section
	trailer                            section // bits after the last field
}

func newCore() coreSpec {
	return coreSpec{
		version: 2, cmpID: 300, cmpVersion: 7, screen: 3,
		language: [2]uint64{'F' - 'A', 'R' - 'A'}, cc: [2]uint64{'D' - 'A', 'E' - 'A'},
		vendorListVersion: 150, policy: 4,
		specialFeatures: []int{1}, consents: []int{1, 3, 4, 7, 9}, lis: []int{2, 7, 10},
		created: 17_000_000_000, updated: 17_000_000_009,
		vendorConsents: bitField(12, 1, 5, 12),
		vendorLI:       ranges(40000, entry{3, 0}, entry{100, 200}, entry{40000, 0}),
		restrictions:   restrictions(restriction{2, 1, []entry{{5, 0}, {8, 9}}}),
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func (c coreSpec) encode() string {
	w := &bitWriter{}
	w.put(6, uint64(c.version)).put(36, c.created).put(36, c.updated)
	w.put(12, uint64(c.cmpID)).put(12, uint64(c.cmpVersion)).put(6, uint64(c.screen))
	w.put(6, c.language[0]).put(6, c.language[1])
	w.put(12, uint64(c.vendorListVersion)).put(6, uint64(c.policy))
	w.put(1, b2u(c.serviceSpecific)).put(1, b2u(c.nonStandard))
	w.flags(12, c.specialFeatures...).flags(24, c.consents...).flags(24, c.lis...)
	w.put(1, b2u(c.purposeOneTreatment)).put(6, c.cc[0]).put(6, c.cc[1])
	for _, s := range []section{c.vendorConsents, c.vendorLI, c.restrictions, c.trailer} {
		if s != nil {
			s(w)
		}
	}
	return w.encode()
}

// segment builds an optional segment of the given type from its sections.
func segment(typ int, body ...section) string {
	w := (&bitWriter{}).put(3, uint64(typ))
	for _, s := range body {
		s(w)
	}
	return w.encode()
}

// publisherTC is a PublisherTC segment body.
func publisherTC(consents, lis []int, custom int, customConsents, customLIs []int) section {
	return func(w *bitWriter) {
		w.flags(24, consents...).flags(24, lis...).put(6, uint64(custom))
		w.flags(custom, customConsents...).flags(custom, customLIs...)
	}
}

// raw appends n bits of value v.
func raw(n int, v uint64) section { return func(w *bitWriter) { w.put(n, v) } }
