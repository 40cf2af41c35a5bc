package synth

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// KeyedConfig describes a pair of multi-key audiences (protocol/SPEC.md
// section 11): every row has an e-mail, a phone and a MAID column, some of
// them blank, and the people are drawn so that every rule of the waterfall
// applies somewhere.
type KeyedConfig struct {
	Seed            uint64
	Rows            int     // data rows of each file, 1..MaxRows
	OverlapFraction float64 // share of the advertiser's people in the partner's audience
	Segments        []string
	Consent         string // the consent cell of every row
}

// KeyedRow is one data row of a multi-key file. Segments is empty on the
// partner's side.
type KeyedRow struct {
	Email, Phone, MAID string
	Segments           string
}

// Shares of the people the generator draws, by pattern.
const (
	keyedWorkPersonal = 0.08 // shared people with a work e-mail at the advertiser and a personal one at the partner
	keyedHousehold    = 0.03 // partner rows that also carry the phone of the next partner row
	keyedDuplicateCRM = 0.02 // advertiser rows written twice
)

// KeyedAudiences draws the two files' rows. Shared people are the
// advertiser's first OverlapFraction; each side shows each person under a
// random non-empty subset of their keys, so that people are found by
// e-mail, then by phone, then by MAID; some keep a work and a personal
// e-mail with the same phone (two personas), some partner rows share a
// household phone, some CRM rows are written twice.
func KeyedAudiences(cfg KeyedConfig) (adv, partner []KeyedRow, err error) {
	if cfg.Rows < 1 || cfg.Rows > MaxRows || !(cfg.OverlapFraction >= 0 && cfg.OverlapFraction <= 1) {
		return nil, nil, fmt.Errorf("%w: Rows must be 1..%d, OverlapFraction 0..1", ErrConfig, MaxRows)
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x6b657965642d7631))
	email := func(kind string, id int) string { return fmt.Sprintf("%s.%d@example.com", kind, id) }
	phone := func(id int) string { return fmt.Sprintf("+336%08d", id) }
	maid := func(id int) string { return fmt.Sprintf("6f1c2d3e-%04x-4%03x-8000-%012x", id>>16&0xffff, id&0xfff, id) }
	segs := newSegmentDrawer(cfg.Segments)
	// keys draws which of e-mail (1), phone (2), MAID (4) a row shows.
	keys := func(pEmail, pPhone, pMAID float64) int {
		for {
			m := 0
			if chance(r, pEmail) {
				m |= 1
			}
			if chance(r, pPhone) {
				m |= 2
			}
			if chance(r, pMAID) {
				m |= 4
			}
			if m != 0 {
				return m
			}
		}
	}
	row := func(m int, e, p, d string) KeyedRow {
		var kr KeyedRow
		if m&1 != 0 {
			kr.Email = e
		}
		if m&2 != 0 {
			kr.Phone = p
		}
		if m&4 != 0 {
			kr.MAID = d
		}
		return kr
	}
	shared := int(float64(cfg.Rows) * cfg.OverlapFraction)
	working := map[int]bool{} // people with a work e-mail at the advertiser
	for id := 0; len(adv) < cfg.Rows; id++ {
		work := id < shared && chance(r, keyedWorkPersonal)
		working[id] = work
		e := email("crm", id)
		m := keys(0.9, 0.6, 0.25)
		if work {
			e, m = email("work", id), 3
		}
		kr := row(m, e, phone(id), maid(id))
		kr.Segments, _ = segs.draw(r)
		adv = append(adv, kr)
		if len(adv) < cfg.Rows && chance(r, keyedDuplicateCRM) {
			adv = append(adv, kr)
		}
	}
	for id := 0; len(partner) < cfg.Rows; id++ {
		person := id
		if id >= shared {
			person = MaxRows + id // nobody the advertiser has
		}
		e, m := email("crm", person), keys(0.7, 0.4, 0.5)
		if working[person] {
			e, m = email("personal", id), 3
		}
		kr := row(m, e, phone(person), maid(person))
		partner = append(partner, kr)
		if len(partner) < cfg.Rows && chance(r, keyedHousehold) {
			partner = append(partner, KeyedRow{Phone: kr.Phone, Email: email("housemate", person)})
		}
	}
	return adv, partner, nil
}

// WriteKeyedCSV writes rows with the header email,phone,maid,consent and,
// for the advertiser (withSegments), segments.
func WriteKeyedCSV(w io.Writer, rows []KeyedRow, consent string, withSegments bool) error {
	header := []string{"email", "phone", "maid", "consent"}
	if withSegments {
		header = append(header, "segments")
	}
	return writeCSV(w, header, slices.Values(rows), func(r KeyedRow, rec []string) {
		rec[0], rec[1], rec[2], rec[3] = r.Email, r.Phone, r.MAID, consent
		if withSegments {
			rec[4] = r.Segments
		}
	})
}

// KeyedTruth is what a multi-key session over two files of KeyedRow must
// find, every row counting (the files' one consent cell lets it).
type KeyedTruth struct {
	Keys                   []string
	AdvertiserRows         int // rows uploaded: those with a key left after rules 1 and 2
	PartnerRows            int
	Rounds                 []int // pairs linked by each key
	Overlap                int
	SegmentOverlap         map[string]int // linked pairs by the advertiser row's segments
	Links                  map[int]int    // partner row (0-based) -> advertiser row
	AdvertiserSegmentsOfPR map[int]string // partner row -> its advertiser row's segments cell
}

// ComputeKeyedTruth applies rules 1 to 5 of protocol/SPEC.md section 11 to
// the plaintext rows, with a Normalizer and maps of normalized values:
// none of the digests, the blinding or the clean room's join. keys are the
// session's keys in order (names of policy.KeyEmail, KeyPhone, KeyMAID).
func ComputeKeyedTruth(keys []string, dup policy.Duplicates, conflicts policy.Conflicts, segments []string, adv, partner []KeyedRow) *KeyedTruth {
	var norm identifier.Normalizer
	values := func(rows []KeyedRow) [][]string {
		out := make([][]string, len(rows))
		for i, r := range rows {
			cells := map[string]string{policy.KeyEmail: r.Email, policy.KeyPhone: r.Phone, policy.KeyMAID: r.MAID}
			out[i] = make([]string, len(keys))
			for k, key := range keys {
				if strings.TrimSpace(cells[key]) == "" {
					continue
				}
				n, err := norm.Normalize(identifier.Type(key), cells[key])
				if err != nil {
					continue // rule 1: this key only
				}
				out[i][k] = n
			}
		}
		return out
	}
	a, b := values(adv), values(partner)
	drop := dup == policy.DuplicatesDrop
	keyedDedupe(a, len(keys), drop)
	keyedDedupe(b, len(keys), drop)
	t := &KeyedTruth{Keys: slices.Clone(keys), Rounds: make([]int, len(keys)), SegmentOverlap: map[string]int{},
		Links: map[int]int{}, AdvertiserSegmentsOfPR: map[int]string{}}
	t.AdvertiserRows, t.PartnerRows = rowsWithKey(a), rowsWithKey(b)
	for _, s := range segments {
		t.SegmentOverlap[s] = 0
	}
	linkedA := map[int]bool{}
	for k := range keys {
		byValue := map[string]int{}
		for j, row := range b {
			if _, linked := t.Links[j]; !linked && row[k] != "" {
				byValue[row[k]] = j
			}
		}
		for i, row := range a {
			j, ok := byValue[row[k]]
			if linkedA[i] || row[k] == "" || !ok {
				continue
			}
			if conflicts == policy.ConflictsBlock && earlierOnBoth(row, b[j], k) {
				continue
			}
			linkedA[i], t.Links[j] = true, i
			delete(byValue, row[k])
			t.Rounds[k]++
			t.Overlap++
			t.AdvertiserSegmentsOfPR[j] = adv[i].Segments
			for s := range strings.SplitSeq(adv[i].Segments, ";") {
				if _, ok := t.SegmentOverlap[s]; ok {
					t.SegmentOverlap[s]++
				}
			}
		}
	}
	return t
}

// ActivationRows is the number of partner rows released for activation
// under threshold k when every row has activation consent: the linked
// rows whose advertiser row is in a segment of at least k pairs.
func (t *KeyedTruth) ActivationRows(k int64) int {
	n := 0
	for _, segs := range t.AdvertiserSegmentsOfPR {
		for s := range strings.SplitSeq(segs, ";") {
			if pairs, ok := t.SegmentOverlap[s]; ok && int64(pairs) >= k {
				n++
				break
			}
		}
	}
	return n
}

// earlierOnBoth reports whether both rows have a value for a key before k.
func earlierOnBoth(a, b []string, k int) bool {
	for e := range k {
		if a[e] != "" && b[e] != "" {
			return true
		}
	}
	return false
}

// keyedDedupe applies rule 2 in place.
func keyedDedupe(rows [][]string, keys int, drop bool) {
	for k := range keys {
		count := map[string]int{}
		for _, r := range rows {
			if r[k] != "" {
				count[r[k]]++
			}
		}
		seen := map[string]bool{}
		for _, r := range rows {
			v := r[k]
			if v == "" {
				continue
			}
			if seen[v] || (drop && count[v] > 1) {
				r[k] = ""
			}
			seen[v] = true
		}
	}
}

func rowsWithKey(rows [][]string) int {
	n := 0
	for _, r := range rows {
		if slices.ContainsFunc(r, func(v string) bool { return v != "" }) {
			n++
		}
	}
	return n
}
