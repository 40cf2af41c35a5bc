package identifier

const uuidLen = 36

const (
	reasonUUIDForm = "not a hyphenated 8-4-4-4-12 UUID"
	reasonNonHex   = "non-hex character"
	reasonZeroMAID = "all-zero ID (ad tracking limited or refused)"
)

// normalizeMAID returns the lower-case canonical form of a mobile
// advertising ID (IDFA, AAID) given as the trimmed input s.
//
// Only the hyphenated 8-4-4-4-12 form is accepted, in either case, as the
// platforms emit it and ad platforms exchange it (lower case with hyphens).
// 32 bare hex digits or "{...}" are rejected rather than reshaped: neither is
// how a MAID is exported, so such a column is more likely some other ID.
//
// The all-zero UUID is what iOS returns for the IDFA when the user limited
// ad tracking or refused App Tracking Transparency (Android similarly zeroes
// the AAID after opt-out). It identifies no one, and millions of rows
// sharing it would all "match" each other.
func normalizeMAID(s string) (string, error) {
	if s == "" {
		return "", invalid(MAID, reasonEmpty)
	}
	if len(s) != uuidLen {
		return "", invalid(MAID, reasonUUIDForm)
	}
	for i := 0; i < uuidLen; i++ {
		if (s[i] == '-') != isUUIDHyphen(i) {
			return "", invalid(MAID, reasonUUIDForm)
		}
	}
	upper, zero := false, true
	for i := 0; i < uuidLen; i++ {
		if isUUIDHyphen(i) {
			continue
		}
		v, up, ok := unhex(s[i])
		if !ok {
			return "", invalid(MAID, reasonNonHex)
		}
		upper = upper || up
		zero = zero && v == 0
	}
	if zero {
		return "", invalid(MAID, reasonZeroMAID)
	}
	if !upper {
		return s, nil
	}
	var buf [uuidLen]byte
	for i := 0; i < uuidLen; i++ {
		buf[i] = lowerASCII(s[i])
	}
	return string(buf[:]), nil
}

func isUUIDHyphen(i int) bool {
	return i == 8 || i == 13 || i == 18 || i == 23
}
