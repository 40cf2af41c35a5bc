// Package tcf decodes IAB Transparency and Consent Framework v2 (TCF 2.2)
// TC strings, as specified in IAB Tech Lab's "Transparency and Consent String
// with Global Vendor & CMP List Formats".
//
// No TCF decoder is reachable from the Go module proxy, and the partner tool
// must evaluate consent where the data lives (DESIGN.md section 4), so this
// package is ours. It only decodes: it never encodes, fetches a Global Vendor
// List or applies policy. The consent facade one level up turns a decoded
// string into the facts the clean room needs.
//
// A TC string is one to four base64url segments (RFC 4648 section 5, without
// '=' padding) joined by '.'. Each segment is a big-endian bit stream, six
// bits per character:
//
//	core                      . DisclosedVendors . AllowedVendors . PublisherTC
//	Version(6)=2, Created...    SegmentType(3)=1   SegmentType(3)=2  SegmentType(3)=3
//	...PublisherRestrictions    vendor section     vendor section    purposes, custom
//
// The core segment is always first and carries no segment type (its first six
// bits are the version, 2, which is why every v2 string starts with 'C'); the
// optional segments follow in any order, each at most once.
//
// The decoder is strict because a consent signal it misreads would be worse
// than none: any of the following makes Decode return a *DecodeError wrapping
// ErrMalformed, and the caller must then treat the row as carrying no consent.
//
//   - an empty string, more than MaxLength bytes, an empty segment, more
//     than four segments, a character outside the base64url alphabet ('=',
//     '+', '/' and whitespace included);
//   - a version other than 2, a letter code (ConsentLanguage, PublisherCC)
//     outside a-z;
//   - a bit stream that ends inside a field;
//   - a vendor id 0, above the section's MaxVendorId, or a range whose end is
//     below its start;
//   - a publisher restriction for purpose 0 or above 24, or of the undefined
//     RestrictionType 3;
//   - a segment type that is unknown (4-7), repeated, or the core type (0)
//     anywhere but first;
//   - a one bit after the last field of a segment: encoders pad with zero
//     bits (@iabtcf/core to a multiple of 24, other encoders to whole
//     bytes or further), so any number of zero bits is padding and anything
//     else is garbage.
//
// Error messages name the field and the reason, never the string: TC strings
// are personal data under the GDPR and must not reach logs.
//
// Vendor sets are bitsets sized by the section's MaxVendorId (16 bits, so at
// most 8 KiB each); publisher restrictions with the same purpose and type are
// merged, as the reference implementation does, which bounds their memory
// too. The decoder agrees with @iabtcf/core, the IAB reference
// implementation, on every field of the vectors in testdata/ (bit-field and
// range encodings, all four segments, publisher restrictions).
package tcf
