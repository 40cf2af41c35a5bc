package flow

import (
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// ErrKeyColumns is returned when the key columns of the options do not fit
// the session's match keys.
var ErrKeyColumns = errors.New("flow: the identifier columns do not fit the session's match keys")

// keyColumn is one identifier column of a multi-key party: the session key
// (index in the session's key order) it holds and how to read it.
type keyColumn struct {
	key  int
	name string          // the key's name: email, phone or maid
	typ  identifier.Type // its type, or identifier.SHA256 for a pre-hashed column
}

// multi reports whether the session matches on several keys: rows then
// carry one identifier per present key (protocol/SPEC.md section 11).
func (info *sessionInfo) multi() bool { return len(info.keys) > 1 }

// sessionKeys is the session's match keys in priority order.
func sessionKeys(s api.Session) []string {
	if len(s.MatchKeys) > 0 {
		return s.MatchKeys
	}
	return []string{s.MatchKey}
}

// resolveKeys maps the options' columns to the session's keys: in a
// multi-key session Options.KeyColumns names a column per key the party
// has (a key without one is absent on every row), and becomes the reader's
// ID column (the first present key) and further key columns. A one-key
// session takes Columns.ID, or its key's entry in KeyColumns.
func (r *runner) resolveKeys(s api.Session) error {
	info := r.info
	info.keys = sessionKeys(s)
	cols := r.opts.KeyColumns
	for k := range cols {
		if !slices.Contains(info.keys, k) {
			return fmt.Errorf("%w: a column is given for %s, which the session does not match on (its keys: %s)", ErrKeyColumns, k, strings.Join(info.keys, ", "))
		}
	}
	for _, k := range r.opts.HashedKeys {
		if _, ok := cols[k]; !ok && (len(cols) > 0 || k != info.keys[0]) {
			return fmt.Errorf("%w: --hashed names %s, but no column of the input holds that key", ErrKeyColumns, k)
		}
	}
	hashed := func(k string) bool { return slices.Contains(r.opts.HashedKeys, k) }
	if !info.multi() {
		if col, ok := cols[info.keys[0]]; ok {
			r.opts.Columns.ID = col
		}
		if r.opts.Columns.ID == "" {
			return fmt.Errorf("%w: name the %s column", ErrKeyColumns, info.keys[0])
		}
		if hashed(info.keys[0]) {
			info.matchKey = identifier.SHA256
		}
		return nil
	}
	if len(cols) == 0 {
		return fmt.Errorf("%w: the session matches on %s: name the column of each key the input has (--key %s=COLUMN ...), not one identifier column",
			ErrKeyColumns, strings.Join(info.keys, ", "), info.keys[0])
	}
	r.opts.Columns.ID, r.opts.Columns.Keys = "", nil
	for i, k := range info.keys {
		col, ok := cols[k]
		if !ok {
			continue
		}
		typ := identifier.Type(k)
		if hashed(k) {
			typ = identifier.SHA256
		}
		info.keyCols = append(info.keyCols, keyColumn{key: i, name: k, typ: typ})
		if r.opts.Columns.ID == "" {
			r.opts.Columns.ID = col
		} else {
			r.opts.Columns.Keys = append(r.opts.Columns.Keys, col)
		}
	}
	return info.findKeyBits()
}

// findKeyBits finds, in a multi-key session, the attribute bit that says
// each key is present on a row.
func (info *sessionInfo) findKeyBits() error {
	for i, a := range info.attrs {
		if a.Kind == wire.AttrKey {
			info.keyBits = append(info.keyBits, uint(i))
		}
	}
	if len(info.keyBits) != len(info.keys) {
		return fmt.Errorf("%w: the policy declares %d key bits for %d keys", ErrBadSession, len(info.keyBits), len(info.keys))
	}
	return nil
}

// KeyCounts is one match key's part of a multi-key party's summary.
type KeyCounts struct {
	Key string `json:"key"`
	// Valid is the rows uploaded with this key, after duplicates.
	Valid int64 `json:"valid"`
	// Invalid counts, by reason, the rows of which this key alone was
	// dropped because its cell did not normalize.
	Invalid map[string]int64 `json:"invalid_by_reason"`
	// Duplicates is the rows that lost this key to rule 2 (the value on
	// an earlier row, or on several rows with "drop").
	Duplicates int64 `json:"duplicates"`
	// Linked is the pairs the clean room linked on this key, when
	// released (overlap_by_key).
	Linked *int64 `json:"linked"`
}

// keyedStage holds a multi-key party's counting rows until the whole input
// is read: rule 2 ("drop") needs every row before it can drop a value.
// The rows are in a scratch file (their bits, the keys present and a
// digest per key present); in memory a row costs its number and its keys
// (5 bytes), and each of its values goes to the duplicate search
// (dupFinder) under its key, with the row's place in the stage.
type keyedStage struct {
	info    *sessionInfo
	file    *spillFile
	dups    *dupFinder
	rows    []uint32 // row numbers, by place in the stage
	present []uint8  // keys each staged row carries, then keeps
	counts  []KeyCounts
	buf     []byte
}

func newKeyedStage(info *sessionInfo, s *scratch, dups *dupFinder) (*keyedStage, error) {
	f, err := s.spill("staged")
	if err != nil {
		return nil, err
	}
	st := &keyedStage{info: info, file: f, dups: dups, counts: make([]KeyCounts, len(info.keys))}
	for i, k := range info.keys {
		st.counts[i] = KeyCounts{Key: k, Invalid: map[string]int64{}}
	}
	return st, nil
}

// add classifies a row whose consent and segments gave bits: each key
// column is normalized on its own (rule 1); an invalid cell drops that key
// only and is reported in rejects.csv as such. A row without any valid key
// is a reject.
func (st *keyedStage) add(c *classifier, row csvin.Row, number uint32, bits uint64, log *rowLog) *reject {
	var ids [policy.MaxMatchKeys][32]byte
	var present uint8
	var reasons []string
	for j, kc := range st.info.keyCols {
		cell := row.ID
		if j > 0 {
			cell = row.Keys[j-1]
		}
		if strings.TrimSpace(cell) == "" {
			continue
		}
		d, _, err := c.norm.Digest(kc.typ, cell)
		if err != nil {
			reason := "invalid " + kc.name
			if ie, ok := errors.AsType[*identifier.Error](err); ok {
				reason += ": " + ie.Reason
			}
			st.counts[kc.key].Invalid[reason]++
			reasons = append(reasons, reason)
			continue
		}
		ids[kc.key] = d
		present |= 1 << kc.key
	}
	if present == 0 {
		if len(reasons) == 0 {
			return &reject{key: reasonNoKey}
		}
		return &reject{key: reasonNoValidKey, detail: strings.Join(reasons, "; ")}
	}
	for _, reason := range reasons {
		log.note(number, reason+" (this key dropped, the row kept)")
	}
	place := uint32(len(st.rows))
	st.buf = append(binary.BigEndian.AppendUint64(st.buf[:0], bits), present)
	for k := range st.info.keys {
		if present&(1<<k) != 0 {
			st.buf = append(st.buf, ids[k][:]...)
			st.dups.add(uint8(k), &ids[k], place)
		}
	}
	st.file.w.Write(st.buf)
	st.rows = append(st.rows, number)
	st.present = append(st.present, present)
	return nil
}

// Reject keys of multi-key rows.
const (
	reasonNoKey      = "no identifier in any key column"
	reasonNoValidKey = "no valid identifier"
	reasonNoKeyLeft  = "every identifier also on other rows (duplicates)"
)

// finish applies rule 2 to the staged rows, per key, knowing dups (the
// values on earlier rows, by key and place, as dupFinder.find returns
// them): a value on several rows stays on the first ("first") or on none
// ("drop"). A row left with no key is rejected (written to rejects after
// the rows read, since it is known only now). The kept rows, with their
// identifiers in key order, go to a (a.recs) and the fingerprint.
func (st *keyedStage) finish(a *audience, dups []duplicate, fp hash.Hash, rejects *csv.Writer, mode policy.Duplicates) error {
	for k := range st.info.keys {
		n := 0
		for n < len(dups) && dups[n].key == uint8(k) {
			n++
		}
		st.dedupe(k, dups[:n], mode, rejects)
		dups = dups[n:]
	}
	br, err := st.file.rewind()
	if err != nil {
		return err
	}
	defer st.file.remove()
	if a.recs, err = newRecords(a.scratch, "records", true); err != nil {
		return err
	}
	var head [8 + 1]byte
	var ids, kept [policy.MaxMatchKeys][32]byte
	var buf [4 + 32 + 8]byte
	n := 0
	for i, number := range st.rows {
		if _, err := io.ReadFull(br, head[:]); err != nil {
			return fmt.Errorf("flow: reading back a scratch file: %w", err)
		}
		bits, staged, keeps := binary.BigEndian.Uint64(head[:8]), head[8], st.present[i]
		for k := range st.info.keys {
			if staged&(1<<k) != 0 {
				if _, err := io.ReadFull(br, ids[k][:]); err != nil {
					return fmt.Errorf("flow: reading back a scratch file: %w", err)
				}
			}
		}
		if keeps == 0 {
			a.rejected[reasonNoKeyLeft]++
			rejects.Write([]string{strconv.FormatUint(uint64(number), 10), reasonNoKeyLeft})
			continue
		}
		ds := kept[:0]
		for k := range st.info.keys {
			if keeps&(1<<k) != 0 {
				ds = append(ds, ids[k])
				writeFingerprint(fp, buf[:], number, &ids[k], bits|uint64(k)<<62)
				st.counts[k].Valid++
			}
		}
		a.recs.append(keeps, bits, ds...)
		// The kept rows' numbers take the place of the staged rows'.
		st.rows[n] = number
		n++
	}
	a.rows, a.kept = st.rows[:n], n
	a.keyCounts = st.counts
	st.rows, st.present = nil, nil
	return a.recs.finish()
}

// dedupe removes the repeated values of key k (rule 2): dups are its rows
// whose value an earlier row holds, in row order.
func (st *keyedStage) dedupe(k int, dups []duplicate, mode policy.Duplicates, rejects *csv.Writer) {
	bit := uint8(1) << k
	name := st.info.keys[k]
	firsts := make([]uint32, 0, len(dups))
	for _, d := range dups {
		st.present[d.row] &^= bit
		st.counts[k].Duplicates++
		rejects.Write([]string{strconv.FormatUint(uint64(st.rows[d.row]), 10),
			reasonDuplicate + name + ": same " + name + " as row " + strconv.FormatUint(uint64(st.rows[d.first]), 10) + " (this key dropped)"})
		firsts = append(firsts, d.first)
	}
	if mode != policy.DuplicatesDrop {
		return
	}
	slices.Sort(firsts)
	for _, i := range slices.Compact(firsts) {
		st.present[i] &^= bit
		st.counts[k].Duplicates++
		rejects.Write([]string{strconv.FormatUint(uint64(st.rows[i]), 10),
			reasonDuplicate + name + `: on other rows too, dropped from all ("duplicates": "drop")`})
	}
}
