// Package consent turns a row's consent cell into the facts the clean room
// needs: which TCF purposes the user consented to, for which a legitimate
// interest stands, and whether given vendors have consent.
//
// Consent is evaluated where the data lives (DESIGN.md section 4): the
// partner tool reads each row's cell, derives these facts, and uploads only
// per-row purpose flags, never the cell. A cell holds one of:
//
//   - nothing (blanks only): no consent for anything;
//   - an explicit purpose list such as "1;3;4;7" or "1;7;li:9" (see
//     ParsePurposeList for the grammar);
//   - an IAB TCF v2.2 TC string, decoded by the tcf sub-package.
//
// A first-party consent column (a CRM's "Oui"/"Non") holds none of these:
// a Mapping, written "Oui=1;3;4;7;9,Non=", turns its values into purpose
// lists, and its ParseCell is then used instead of ParseCell (see
// ParseMapping; values match exactly after trimming, unknown values are
// ErrUnmapped).
//
// The two non-empty forms cannot be confused: a TC string always begins with
// 'C' (the six bits of version 2), a list with a digit or "li:". A cell that
// starts with either of those is parsed as a list, anything else is decoded
// as a TC string.
//
// Everything here is default-deny. A cell that does not parse carries no
// consent (the caller counts and skips the row); a purpose that is not
// signalled is "no"; a legitimate interest is never reported for purposes 1,
// 3, 4, 5 and 6, for which TCF 2.2 does not allow it, whatever the cell says;
// and only a TC string can show vendor consent.
//
// Error messages never contain the cell: consent strings are personal data.
package consent
