package flow

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"strconv"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// The files of a plan (PlanWorkers), in its directory: the manifest, one bucket
// file per worker share and the row map. Their formats are this package's
// own, read back only by the same blindjoin: each begins with a magic and
// version, so another version's files are refused rather than misread.
//
//	bucket file   magic "BJBUCKT1", then big-endian: session (16 bytes),
//	              worker u32, workers u32, keys u8, first part u32,
//	              parts u32, part records u32, first position u64,
//	              records u64; then per record, in upload order: (multi-key
//	              only) the keys present u8, the attribute bits u64, and
//	              one 32-byte identifier digest per key present
//	row map       magic "BJROWMP1", records u64, then the input row number
//	              (u32) of each upload position
//	manifest      JSON (planManifest), with the SHA-256 of each other file
const (
	manifestFile = "manifest.json"
	rowMapFile   = "rowmap.bin"
	bucketMagic  = "BJBUCKT1"
	rowMapMagic  = "BJROWMP1"
	planVersion  = 1
	// maxWorkers bounds W: far more machines than a party runs, and few
	// enough that the manifest stays small.
	maxWorkers = 4096
	// maxManifest bounds the manifest file: W entries and the input's
	// summary (its counts by reason are bounded by the reasons).
	maxManifest = 16 << 20
)

// Plan file errors.
var (
	// ErrPlanFile is wrapped by every refusal of a plan's file: missing,
	// from another plan or session, changed since the plan wrote it
	// (its SHA-256 is not the manifest's) or malformed.
	ErrPlanFile = errors.New("flow: plan file")
)

// bucketName is worker i's bucket file of a plan for w workers.
func bucketName(i, w int) string { return fmt.Sprintf("bucket-%d-of-%d.bin", i, w) }

// planManifest describes a plan: what a worker checks its bucket file and
// key against, and what FinishWorkers needs to write the outputs.
type planManifest struct {
	Version   int      `json:"version"`
	SessionID string   `json:"session_id"`
	Role      api.Role `json:"role"`
	Workers   int      `json:"workers"`
	// Records is the number of rows uploaded, in Parts parts of
	// PartRecords records (the last one shorter).
	Records     int `json:"records"`
	Parts       int `json:"parts"`
	PartRecords int `json:"part_records"`
	// Keys is the number of the session's match keys (1: one-key).
	Keys int `json:"keys"`
	// KeyFingerprint is keyFingerprint of the session key the plan
	// ordered the rows with; a worker refuses another key.
	KeyFingerprint  string     `json:"key_fingerprint"`
	RowsFingerprint string     `json:"rows_fingerprint"`
	Buckets         []planFile `json:"buckets"`
	RowMap          planFile   `json:"row_map"`
	// Input is how the rows were read (FinishWorkers reads the activation
	// columns from the same file), ActivationColumns those columns.
	Input             uploadOptions `json:"input"`
	ActivationColumns []string      `json:"activation_columns,omitempty"`
	// Summary is the input's account, which FinishWorkers completes.
	Summary Summary `json:"summary"`
}

// planFile is one file of a plan: for a bucket, worker i's share of the
// upload, parts FirstPart to FirstPart+Parts-1, which are upload
// positions First to First+Records-1.
type planFile struct {
	File      string `json:"file"`
	SHA256    string `json:"sha256"`
	FirstPart int    `json:"first_part"`
	Parts     int    `json:"parts"`
	First     int    `json:"first"`
	Records   int    `json:"records"`
}

// splitParts shares parts parts of per records (n in all) among w
// workers: worker i gets a contiguous run of parts, the runs as even as
// parts allow.
func splitParts(n, per, parts, w int) []planFile {
	out := make([]planFile, w)
	for i := range out {
		lo, hi := i*parts/w, (i+1)*parts/w
		first, end := min(lo*per, n), min(hi*per, n)
		out[i] = planFile{File: bucketName(i, w), FirstPart: lo, Parts: hi - lo, First: first, Records: end - first}
	}
	return out
}

// check is the manifest's consistency, default-deny: every field a worker
// or Finish relies on is checked, so a damaged or hand-edited manifest is
// refused before its numbers index anything.
func (m *planManifest) check() error {
	bad := func(what string) error { return fmt.Errorf("%w: %s: %s", ErrPlanFile, manifestFile, what) }
	switch {
	case m.Version != planVersion:
		return bad("from another blindjoin version")
	case !isHex(m.SessionID, 16):
		return bad("bad session id")
	case m.Role != api.RoleAdvertiser && m.Role != api.RoleMediaPartner:
		return bad("bad role")
	case m.Workers < 1 || m.Workers > maxWorkers || len(m.Buckets) != m.Workers:
		return bad("bad number of workers")
	case m.Records < 1 || m.Records > maxRows || m.PartRecords < 1 || m.Parts != (m.Records+m.PartRecords-1)/m.PartRecords:
		return bad("bad record or part counts")
	case m.Keys < 1 || m.Keys > policy.MaxMatchKeys:
		return bad("bad number of match keys")
	case !isHex(m.KeyFingerprint, 32) || !isHex(m.RowsFingerprint, 32):
		return bad("bad fingerprint")
	case m.RowMap.File != rowMapFile || !isHex(m.RowMap.SHA256, 32):
		return bad("bad row map entry")
	}
	want := splitParts(m.Records, m.PartRecords, m.Parts, m.Workers)
	for i, b := range m.Buckets {
		b.SHA256, want[i].SHA256 = "", ""
		if b != want[i] || !isHex(m.Buckets[i].SHA256, 32) {
			return bad("bucket entry " + strconv.Itoa(i) + " does not fit the plan's parts")
		}
	}
	return nil
}

// maxRows is the most rows a plan holds: row numbers are 32-bit.
const maxRows = 1<<32 - 1

func isHex(s string, n int) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == n && hex.EncodeToString(b) == s
}

// readManifest reads and checks dir's manifest, which must be session id's.
func readManifest(dir, id string) (*planManifest, error) {
	f, err := os.Open(filepath.Join(dir, manifestFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s has no %s: run `blindjoin match %s --plan --workers W --out %s ...` first, or copy the plan's directory here", ErrPlanFile, dir, manifestFile, id, dir)
		}
		return nil, fmt.Errorf("%w: %w", ErrPlanFile, err)
	}
	defer f.Close()
	m, err := decodeManifest(io.LimitReader(f, maxManifest+1))
	if err != nil {
		return nil, err
	}
	if m.SessionID != id {
		return nil, fmt.Errorf("%w: the plan in %s is for another session", ErrPlanFile, dir)
	}
	return m, nil
}

// decodeManifest decodes and checks a manifest: strict JSON (no unknown
// field, nothing after it), at most maxManifest bytes.
func decodeManifest(r io.Reader) (*planManifest, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxManifest+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrPlanFile, manifestFile, err)
	}
	if len(data) > maxManifest {
		return nil, fmt.Errorf("%w: %s: larger than %d bytes", ErrPlanFile, manifestFile, maxManifest)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m planManifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %s: not a plan manifest (%v)", ErrPlanFile, manifestFile, jsonReason(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: %s: data after the manifest", ErrPlanFile, manifestFile)
	}
	return &m, m.check()
}

// jsonReason is what went wrong in a JSON decoding, without the offending
// text (a manifest may have been replaced by any file).
func jsonReason(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "syntax error at byte " + strconv.FormatInt(syn.Offset, 10)
	case errors.As(err, &typ):
		return "field " + strconv.Quote(typ.Field) + " has the wrong type"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated"
	}
	return "unknown field or bad value"
}

// writePlanFile writes dir/name through fill, atomically, and returns
// its SHA-256 in hex.
func writePlanFile(dir, name string, fill func(w io.Writer) error) (string, error) {
	out, err := newAtomicFile(dir, name)
	if err != nil {
		return "", err
	}
	defer out.abort()
	h := sha256.New()
	if err := fill(io.MultiWriter(out, h)); err != nil {
		return "", fmt.Errorf("flow: %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), out.commit()
}

// bucketHeader is the head of a bucket file.
type bucketHeader struct {
	Session          [16]byte
	Worker, Workers  uint32
	Keys             uint8
	FirstPart, Parts uint32
	PartRecords      uint32
	First, Records   uint64
}

// writeBucket writes the records of a at upload positions first to
// end-1 as a bucket file with head h: a's records, once ordered, are laid
// out as a bucket file's, so they are copied as they are.
func writeBucket(w io.Writer, h bucketHeader, a *audience, first, end int) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(bucketMagic)
	binary.Write(bw, binary.BigEndian, h)
	from, err := a.recs.locate(first)
	if err != nil {
		return err
	}
	to, err := a.recs.locate(end)
	if err != nil {
		return err
	}
	if _, err := io.Copy(bw, io.NewSectionReader(a.recs.file.f, from.offset, to.offset-from.offset)); err != nil {
		return err
	}
	return bw.Flush()
}

// decodeBucket reads a bucket file: its head, then exactly h.Records
// records of the layout its Keys says, and nothing more. A record names
// only keys the session has, and at least one. The audience it returns
// holds the records in upload order (its position i is the session's
// h.First+i), copied into a records file of sc as they are checked. On error, the
// caller removes sc.
func decodeBucket(r io.Reader, sc *scratch) (bucketHeader, *audience, error) {
	var h bucketHeader
	a := &audience{scratch: sc}
	fail := func(err error) (bucketHeader, *audience, error) {
		a.close()
		return h, nil, err
	}
	bad := func(what string) (bucketHeader, *audience, error) {
		return fail(fmt.Errorf("%w: bucket file: %s", ErrPlanFile, what))
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var magic [len(bucketMagic)]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil || string(magic[:]) != bucketMagic {
		return bad("not a bucket file of this blindjoin version")
	}
	if err := binary.Read(br, binary.BigEndian, &h); err != nil {
		return bad("truncated head")
	}
	switch {
	case h.Workers < 1 || h.Workers > maxWorkers || h.Worker >= h.Workers:
		return bad("bad worker numbers")
	case h.Keys < 1 || int(h.Keys) > policy.MaxMatchKeys:
		return bad("bad number of match keys")
	case h.PartRecords < 1 || h.Records > maxRows:
		return bad("bad record counts")
	}
	var err error
	if a.recs, err = newRecords(sc, "records", h.Keys > 1); err != nil {
		return fail(err)
	}
	var buf [8]byte
	var digests [policy.MaxMatchKeys][32]byte
	for i := uint64(0); i < h.Records; i++ {
		present := uint8(1)
		if h.Keys > 1 {
			if present, err = br.ReadByte(); err != nil {
				return bad("truncated")
			}
			if present == 0 || present>>h.Keys != 0 {
				return bad("a record names no key, or a key the session lacks")
			}
		}
		if _, err := io.ReadFull(br, buf[:]); err != nil {
			return bad("truncated")
		}
		ds := digests[:bits.OnesCount8(present)]
		for j := range ds {
			if _, err := io.ReadFull(br, ds[j][:]); err != nil {
				return bad("truncated")
			}
		}
		a.recs.append(present, binary.BigEndian.Uint64(buf[:]), ds...)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return bad("data after the last record")
	}
	a.kept = int(h.Records)
	if err := a.recs.finish(); err != nil {
		return fail(err)
	}
	return h, a, nil
}

// readBucket reads worker i's bucket file from dir and checks it against
// the manifest: its SHA-256, then its head.
func readBucket(dir string, m *planManifest, i int) (*audience, error) {
	entry := m.Buckets[i]
	f, err := os.Open(filepath.Join(dir, entry.File))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s is missing from %s: copy it from the plan's directory", ErrPlanFile, entry.File, dir)
		}
		return nil, fmt.Errorf("%w: %w", ErrPlanFile, err)
	}
	defer f.Close()
	sc, err := newScratch(dir)
	if err != nil {
		return nil, err
	}
	a, err := checkBucket(f, sc, m, i)
	if err != nil {
		sc.remove()
		return nil, err
	}
	return a, nil
}

// checkBucket decodes worker i's bucket file f into an audience whose
// scratch is sc, and checks it against the manifest: its SHA-256, then its
// head.
func checkBucket(f io.Reader, sc *scratch, m *planManifest, i int) (*audience, error) {
	entry := m.Buckets[i]
	sum := sha256.New()
	h, a, err := decodeBucket(io.TeeReader(f, sum), sc)
	refuse := func(err error) (*audience, error) {
		if a != nil {
			a.close()
		}
		return nil, err
	}
	if hex.EncodeToString(sum.Sum(nil)) != entry.SHA256 {
		// Checked first: a changed file is reported as such, whatever
		// its decoding said.
		return refuse(fmt.Errorf("%w: %s is not the file the plan wrote (its SHA-256 differs from the manifest's): copy it again from the plan's directory", ErrPlanFile, entry.File))
	}
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, entry.File)
	}
	want := bucketHeader{Worker: uint32(i), Workers: uint32(m.Workers), Keys: uint8(m.Keys), FirstPart: uint32(entry.FirstPart),
		Parts: uint32(entry.Parts), PartRecords: uint32(m.PartRecords), First: uint64(entry.First), Records: uint64(entry.Records)}
	hex.Decode(want.Session[:], []byte(m.SessionID))
	if h != want {
		return refuse(fmt.Errorf("%w: %s does not fit the manifest", ErrPlanFile, entry.File))
	}
	return a, nil
}

// writeRowMap writes the row map: the input row number of each upload
// position.
func writeRowMap(w io.Writer, byPosition []uint32) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(rowMapMagic)
	binary.Write(bw, binary.BigEndian, uint64(len(byPosition)))
	var buf [4]byte
	for _, row := range byPosition {
		binary.BigEndian.PutUint32(buf[:], row)
		bw.Write(buf[:])
	}
	return bw.Flush()
}

// decodeRowMap reads a row map of exactly n positions.
func decodeRowMap(r io.Reader, n int) ([]uint32, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var head [len(rowMapMagic) + 8]byte
	if _, err := io.ReadFull(br, head[:]); err != nil || string(head[:len(rowMapMagic)]) != rowMapMagic ||
		binary.BigEndian.Uint64(head[len(rowMapMagic):]) != uint64(n) {
		return nil, fmt.Errorf("%w: %s: not the row map of this plan", ErrPlanFile, rowMapFile)
	}
	// Grown as read, not allocated from the count: a damaged file
	// claiming 4 billion rows ends at its last byte, not in memory.
	out := make([]uint32, 0, min(n, 1<<16))
	var buf [4]byte
	for range n {
		if _, err := io.ReadFull(br, buf[:]); err != nil {
			return nil, fmt.Errorf("%w: %s: truncated", ErrPlanFile, rowMapFile)
		}
		out = append(out, binary.BigEndian.Uint32(buf[:]))
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: %s: data after the last position", ErrPlanFile, rowMapFile)
	}
	return out, nil
}

// readRowMap reads dir's row map and checks it against the manifest.
func readRowMap(dir string, m *planManifest) ([]uint32, error) {
	f, err := os.Open(filepath.Join(dir, rowMapFile))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPlanFile, err)
	}
	defer f.Close()
	sum := sha256.New()
	byPosition, err := decodeRowMap(io.TeeReader(f, sum), m.Records)
	if hex.EncodeToString(sum.Sum(nil)) != m.RowMap.SHA256 {
		return nil, fmt.Errorf("%w: %s is not the file the plan wrote (its SHA-256 differs from the manifest's)", ErrPlanFile, rowMapFile)
	}
	return byPosition, err
}

// writeJSON writes v as indented JSON and a newline.
func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
