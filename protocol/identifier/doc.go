// Package identifier turns a raw identifier (email address, phone number,
// mobile advertising ID, or an already hashed value) into its normalized form
// and the 32-byte digest d that protocol v1 maps to a group element
// (DESIGN.md sections 2 and 3).
//
// Two parties match only if they derive byte-identical digests from the same
// person's identifier, so normalization is the part of the protocol most
// likely to lose matches silently. The rules follow the UID2 "Normalization
// and Encoding" documentation so that digests also agree with UID2 and IAB
// PAIR tooling:
//
//	email   trim, Unicode NFC, lowercase A-Z only, gmail.com: drop '.' and "+tag" in the local part
//	phone   E.164: '+' then 10 to 15 ASCII digits, a valid number in libphonenumber's metadata
//	maid    UUID, lowercase, hyphenated 8-4-4-4-12
//	sha256  64 hex characters or 44-character standard base64 of 32 bytes
//
//	d = SHA-256(UTF-8(normalized))        for email, phone, maid
//	d = the 32 decoded bytes              for sha256 (never hashed again)
//
// Phone numbers are accepted in E.164, international ("+33 6 12 34 56 78")
// or, with Normalizer.DefaultRegion, national format, and every form must
// be a valid number for its country, and not all zeros (a placeholder the
// metadata of a few plans would accept): one rule, whatever the spelling. A
// national number of a territory that shares the default region's
// numbering plan (France's overseas departments) gets the territory's
// country code. RegionGuesser suggests a default region for a file whose
// national numbers were rejected for want of one.
//
// E-mail addresses keep UID2's ASCII-only lower-casing (digests must agree
// with UID2's), after Unicode NFC so that composed and decomposed accents
// agree; NonASCII tells a caller which addresses that concerns.
//
// Invalid input is reported, never guessed: every rejection is an *Error
// whose Reason is a short constant phrase. Reasons never contain the input,
// so they can be logged and counted without leaking personal data.
//
// The common path for e-mail, MAID and hashes (input already normalized,
// ASCII) does not allocate; this code runs once per row of files with
// millions of rows. Every phone number is validated against the numbering
// plan metadata, by the library's rule (IsValidNumber) but from patterns
// compiled once (validity.go: the library's own calls rebuild and look up
// every pattern on every call), which allocates once; reading and
// formatting the number allocate more. A number written with '+' is split
// into calling code and national number from its digits and the metadata,
// and goes through the library's parser (phonenumbers.Parse, mostly
// regular expressions) only when its national number may start with a
// national prefix, which the parser would strip. The split and the
// validation are each held equal to the library's by differential tests
// and a fuzz target.
package identifier
