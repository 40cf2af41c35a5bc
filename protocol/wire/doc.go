// Package wire is the binary format of the record streams that parties and
// the clean room exchange: blinded uploads, the server's relay of a set, and
// join digests. protocol/SPEC.md is the normative description; this package
// is its Go implementation.
//
// A set of records travels as one or more parts of at most MaxPartSize
// bytes, so that an interrupted upload resumes at the first part the server
// has not committed:
//
//	part    = header chunk* end trailer
//	header  = "BJP1" version suite kind flags session[16] part first nattrs attrs
//	chunk   = count (1..65536, u32) record*count
//	end     = 0 (u32)
//	trailer = total (u64) SHA-256(every byte from the magic to total)
//
// Why it is shaped this way: a peer PSI library that trusted short reads
// returned wrong intersections with exit status 0. Here every field is read
// with io.ReadFull, every length is explicit and bounded, the trailer counts
// the records and hashes the whole part, and the decoder insists that the
// stream ends right after the trailer. Truncation, padding, edited headers
// and flipped bits are therefore errors, never a silently different set.
//
// The encoding is canonical: every chunk but the last holds exactly
// MaxChunkRecords records, and the decoder rejects anything else, so a part's
// content has exactly one encoding and one digest. Re-sending the same part
// yields the same digest, which makes part uploads idempotent.
//
// A kind-blinded part whose header declares key attributes (AttrKey) is
// keyed (SPEC.md section 3.2), for multi-key sessions: each record is its
// attribute bytes, then one element per set key presence bit, and each
// chunk carries the byte size of its records after the count, which the
// records must fill exactly. Header.SplitRecord splits a record of either
// layout into its attribute bits and elements.
//
// Records returned by Reader.Next before io.EOF are tentative: they come
// from a completely read chunk, but the checksum is only verified at the
// end. Stage them and commit only after io.EOF.
//
// Both directions are allocation-free per record: the Writer copies records
// into one reusable chunk buffer and the Reader hands out slices of its own.
// The package does no I/O of its own beyond the io.Reader or io.Writer it is
// given, and never panics on any input.
package wire
