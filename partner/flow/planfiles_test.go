package flow

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// testScratch is a scratch directory removed with the test's.
func testScratch(t testing.TB) *scratch {
	sc, err := newScratch(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sc.remove)
	return sc
}

// testBucket is a bucket file of n records (keys: 1, or multi-key with
// every second row carrying both of 2 keys) and its head.
func testBucket(t testing.TB, n int, keys uint8) (bucketHeader, []byte) {
	a := &audience{scratch: testScratch(t), kept: n}
	var err error
	if a.recs, err = newRecords(a.scratch, "records", keys > 1); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		present := uint8(1)
		if keys > 1 {
			present = uint8(1 + i%2*2)
		}
		var ds [][32]byte
		for k := range int(present&1) + int(present>>1&1) {
			ds = append(ds, sha256.Sum256([]byte{byte(i), byte(k)}))
		}
		a.recs.append(present, uint64(i), ds...)
	}
	if err := a.recs.finish(); err != nil {
		t.Fatal(err)
	}
	h := bucketHeader{Worker: 1, Workers: 3, Keys: keys, FirstPart: 2, Parts: 1, PartRecords: 100, First: 200, Records: uint64(n)}
	var b bytes.Buffer
	if err := writeBucket(&b, h, a, 0, n); err != nil {
		t.Fatal(err)
	}
	return h, b.Bytes()
}

func TestBucketRoundTrip(t *testing.T) {
	for _, keys := range []uint8{1, 2} {
		h, data := testBucket(t, 50, keys)
		got, a, err := decodeBucket(bytes.NewReader(data), testScratch(t))
		if err != nil || got != h || a.len() != 50 {
			t.Fatalf("keys %d: %v, head %+v, %d rows", keys, err, got, a.len())
		}
		// Record 49 carries both keys in a multi-key bucket.
		rd, err := a.recs.reader(49)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := rd.next()
		if err != nil {
			t.Fatal(err)
		}
		present, bits, ds := a.recs.fields(rec, nil)
		if bits != 49 || ds[len(ds)-1] != sha256.Sum256([]byte{49, byte(len(ds) - 1)}) || (keys > 1 && present != 3) {
			t.Errorf("keys %d: record 49: bits %d, keys %d, digests %x", keys, bits, present, ds)
		}
		if idents, err := a.identifiers(0, 50); err != nil || idents != map[uint8]int{1: 50, 2: 75}[keys] {
			t.Errorf("keys %d: %d identifiers, %v", keys, idents, err)
		}
	}
}

// Hostile or damaged bucket files are refused with ErrPlanFile, never a
// panic or a partial audience.
func TestDecodeBucketHostile(t *testing.T) {
	_, one := testBucket(t, 4, 1)
	_, two := testBucket(t, 4, 2)
	head := len(bucketMagic)
	with := func(data []byte, at int, b ...byte) []byte {
		out := bytes.Clone(data)
		copy(out[at:], b)
		return out
	}
	u32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	u64 := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	// Offsets in the head: session 0, worker 16, workers 20, keys 24,
	// first part 25, parts 29, part records 33, first 37, records 45.
	for name, data := range map[string][]byte{
		"empty":                     nil,
		"magic only":                []byte(bucketMagic),
		"other magic":               with(one, 0, 'X'),
		"truncated head":            one[:head+20],
		"no workers":                with(one, head+20, u32(0)...),
		"worker beyond workers":     with(one, head+16, u32(3)...),
		"too many workers":          with(one, head+20, u32(maxWorkers+1)...),
		"no keys":                   with(one, head+24, 0),
		"too many keys":             with(one, head+24, 9),
		"no part records":           with(one, head+33, u32(0)...),
		"more records than rows":    with(one, head+45, u64(1<<40)...),
		"one more record claimed":   with(one, head+45, u64(5)...),
		"one record fewer":          with(one, head+45, u64(3)...),
		"truncated record":          one[:len(one)-1],
		"trailing byte":             append(bytes.Clone(one), 0),
		"multi-key: no key present": with(two, head+53, 0),
		"multi-key: unknown key":    with(two, head+53, 4),
		"multi-key: truncated":      two[:len(two)-5],
		"one-key read as two":       with(one, head+24, 2),
	} {
		t.Run(name, func(t *testing.T) {
			if _, a, err := decodeBucket(bytes.NewReader(data), testScratch(t)); !errors.Is(err, ErrPlanFile) || a != nil {
				t.Errorf("err %v, audience %v", err, a != nil)
			}
		})
	}
}

// testManifest is a consistent manifest of a plan of 250 records in parts
// of 100 for 3 workers.
func testManifest() planManifest {
	fp := strings.Repeat("ab", 32)
	buckets := splitParts(250, 100, 3, 3)
	for i := range buckets {
		buckets[i].SHA256 = fp
	}
	return planManifest{Version: planVersion, SessionID: strings.Repeat("0f", 16), Role: api.RoleMediaPartner, Workers: 3,
		Records: 250, Parts: 3, PartRecords: 100, Keys: 1, KeyFingerprint: fp, RowsFingerprint: fp,
		Buckets: buckets, RowMap: planFile{File: rowMapFile, SHA256: fp}}
}

func TestDecodeManifestHostile(t *testing.T) {
	good := testManifest()
	var b bytes.Buffer
	writeJSON(&b, good)
	if m, err := decodeManifest(&b); err != nil || m.Buckets[2].First != 200 || m.Buckets[2].Records != 50 {
		t.Fatalf("a good manifest: %v %+v", err, m)
	}
	for name, edit := range map[string]func(m *planManifest){
		"other version":         func(m *planManifest) { m.Version = 2 },
		"bad session id":        func(m *planManifest) { m.SessionID = "../../etc" },
		"auditor":               func(m *planManifest) { m.Role = api.RoleAuditor },
		"no workers":            func(m *planManifest) { m.Workers, m.Buckets = 0, nil },
		"workers not buckets":   func(m *planManifest) { m.Workers = 4 },
		"no records":            func(m *planManifest) { m.Records = 0 },
		"parts do not add up":   func(m *planManifest) { m.Parts = 2 },
		"no part records":       func(m *planManifest) { m.PartRecords = 0 },
		"too many keys":         func(m *planManifest) { m.Keys = 9 },
		"short fingerprint":     func(m *planManifest) { m.KeyFingerprint = "ab" },
		"upper-case digest":     func(m *planManifest) { m.Buckets[0].SHA256 = strings.ToUpper(m.Buckets[0].SHA256) },
		"bucket path traversal": func(m *planManifest) { m.Buckets[1].File = "../bucket-1-of-3.bin" },
		"row map elsewhere":     func(m *planManifest) { m.RowMap.File = "/etc/passwd" },
		"overlapping buckets":   func(m *planManifest) { m.Buckets[1].FirstPart = 0 },
		"bucket beyond records": func(m *planManifest) { m.Buckets[2].Records = 100 },
		"too many rows":         func(m *planManifest) { m.Records, m.Parts = 1<<33, 1<<33/100 },
	} {
		t.Run(name, func(t *testing.T) {
			m := testManifest()
			edit(&m)
			var b bytes.Buffer
			writeJSON(&b, m)
			if _, err := decodeManifest(&b); !errors.Is(err, ErrPlanFile) {
				t.Errorf("accepted: %v", err)
			}
		})
	}
	for name, text := range map[string]string{
		"empty":           "",
		"not JSON":        "\x00\x01",
		"unknown field":   `{"version": 1, "extra": true}`,
		"wrong type":      `{"workers": "three"}`,
		"two documents":   func() string { var b bytes.Buffer; writeJSON(&b, good); return b.String() + "{}" }(),
		"too large":       `{"summary": {"rejected_by_reason": {"` + strings.Repeat("x", maxManifest) + `": 1}}}`,
		"identifier text": `{"session_id": "jane@example.com"}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeManifest(strings.NewReader(text))
			if !errors.Is(err, ErrPlanFile) || strings.Contains(fmtErr(err), "@") {
				t.Errorf("err %v", err)
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestRowMapHostile(t *testing.T) {
	var b bytes.Buffer
	writeRowMap(&b, []uint32{7, 3, 9})
	good := b.Bytes()
	if got, err := decodeRowMap(bytes.NewReader(good), 3); err != nil || got[1] != 3 {
		t.Fatalf("%v %v", got, err)
	}
	for name, tc := range map[string]struct {
		data []byte
		n    int
	}{
		"other count":  {good, 4},
		"truncated":    {good[:len(good)-1], 3},
		"trailing":     {append(bytes.Clone(good), 0), 3},
		"other magic":  {append([]byte("BJBUCKT1"), good[8:]...), 3},
		"huge claimed": {append([]byte(rowMapMagic), binary.BigEndian.AppendUint64(nil, 1<<32-1)...), 1<<32 - 1},
	} {
		if _, err := decodeRowMap(bytes.NewReader(tc.data), tc.n); !errors.Is(err, ErrPlanFile) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// readBucket refuses a file whose SHA-256 is not the manifest's, and one
// whose head does not fit its entry.
func TestReadBucketChecksManifest(t *testing.T) {
	dir := t.TempDir()
	h, data := testBucket(t, 50, 1)
	m := planManifest{SessionID: hex.EncodeToString(h.Session[:]), Workers: 3, Keys: 1, PartRecords: 100,
		Buckets: []planFile{{}, {File: bucketName(1, 3), FirstPart: 2, Parts: 1, First: 200, Records: 50}, {}}}
	os.WriteFile(filepath.Join(dir, bucketName(1, 3)), data, 0o600)
	sum := sha256.Sum256(data)
	m.Buckets[1].SHA256 = hex.EncodeToString(sum[:])
	if a, err := readBucket(dir, &m, 1); err != nil || a.len() != 50 {
		t.Fatalf("%v", err)
	}
	m.Buckets[1].First = 100
	if _, err := readBucket(dir, &m, 1); !errors.Is(err, ErrPlanFile) || !strings.Contains(err.Error(), "does not fit the manifest") {
		t.Errorf("a head that does not fit: %v", err)
	}
	m.Buckets[1].First, m.Buckets[1].SHA256 = 200, strings.Repeat("00", 32)
	if _, err := readBucket(dir, &m, 1); !errors.Is(err, ErrPlanFile) || !strings.Contains(err.Error(), "SHA-256 differs") {
		t.Errorf("another digest: %v", err)
	}
}

func FuzzDecodeBucket(f *testing.F) {
	for _, keys := range []uint8{1, 2} {
		_, data := testBucket(f, 3, keys)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, a, err := decodeBucket(bytes.NewReader(data), testScratch(t))
		if err != nil {
			if !errors.Is(err, ErrPlanFile) || a != nil {
				t.Fatalf("err %v without ErrPlanFile, or with an audience", err)
			}
			return
		}
		if uint64(a.len()) != h.Records || h.Worker >= h.Workers {
			t.Fatalf("accepted an inconsistent bucket: %+v, %d rows", h, a.len())
		}
	})
}

func FuzzDecodeManifest(f *testing.F) {
	var b bytes.Buffer
	writeJSON(&b, testManifest())
	f.Add(b.Bytes())
	f.Add([]byte(`{"version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeManifest(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrPlanFile) {
				t.Fatalf("err %v without ErrPlanFile", err)
			}
			return
		}
		// An accepted manifest's buckets cover the records exactly.
		n := 0
		for i, b := range m.Buckets {
			if b.First != n || b.File != bucketName(i, m.Workers) {
				t.Fatalf("accepted buckets with a gap or another name: %+v", m.Buckets)
			}
			n += b.Records
		}
		if n != m.Records {
			t.Fatalf("buckets hold %d of %d records", n, m.Records)
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatal(err)
		}
	})
}
