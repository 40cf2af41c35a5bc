package transcript

// PartKey names one uploaded part: the event type (TypePartUploaded or
// TypeReblindedUploaded), the uploading side and the decimal part index.
type PartKey struct {
	Type string
	Side string
	Part string
}

// PartDigests returns the digest recorded for each uploaded part, so that a
// party can check that the SHA-256 of every part file it sent appears under
// its side. Events lacking a side, part or digest are skipped; if a part
// was recorded twice, the later digest wins. Call Verify first: the map is
// only as trustworthy as the transcript.
func (t Transcript) PartDigests() map[PartKey]string {
	out := map[PartKey]string{}
	for _, e := range t.Events {
		if e.Type != TypePartUploaded && e.Type != TypeReblindedUploaded {
			continue
		}
		side, part, digest := e.Data[KeySide], e.Data[KeyPart], e.Data[KeyDigest]
		if side == "" || part == "" || digest == "" {
			continue
		}
		out[PartKey{Type: e.Type, Side: side, Part: part}] = digest
	}
	return out
}
