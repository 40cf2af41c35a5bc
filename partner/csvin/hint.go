package csvin

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// maxNameLen bounds what describeHeader takes for a column name.
const maxNameLen = 64

// describeHeader words the header for a ColumnError: its columns listed when
// they all look like names, else only their number and the likely cause.
func describeHeader(header []string) string {
	noun := "columns"
	if len(header) == 1 {
		noun = "column"
	}
	for _, h := range header {
		if !looksLikeName(h) {
			return fmt.Sprintf("header has %d %s; its first row does not look like a header: is the header row missing?", len(header), noun)
		}
	}
	quoted := make([]string, len(header))
	for i, h := range header {
		quoted[i] = strconv.Quote(h)
	}
	return fmt.Sprintf("header has %d %s: %s", len(header), noun, strings.Join(quoted, ", "))
}

// looksLikeName reports whether a header cell can be shown in an error
// message: a column name, not a value. The identifiers blindjoin reads all
// fail it (an e-mail address has '@'; a phone number, a mobile advertising
// ID, a hash or a TC string is long or full of digits), so a file whose
// header row is missing does not get its first row printed. Names with a
// couple of digits ("consent_v2", "segments 2024") pass.
func looksLikeName(s string) bool {
	if len(s) > maxNameLen || strings.ContainsRune(s, '@') {
		return false
	}
	digits := 0
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			digits++
		case unicode.IsControl(r) || r == unicode.ReplacementChar:
			return false
		}
	}
	return digits <= 4
}

// otherDelimiter finds a delimiter, other than used, that explains why
// column is missing from header: split on it, a header cell holds column;
// or the header is a single cell holding it.
func otherDelimiter(header []string, column string, used rune) (rune, bool) {
	for _, d := range delimiters {
		if d == used {
			continue
		}
		for _, h := range header {
			for part := range strings.SplitSeq(h, string(d)) {
				if sameColumn(part, column) && part != h {
					return d, true
				}
			}
		}
		if len(header) == 1 && strings.ContainsRune(header[0], d) {
			return d, true
		}
	}
	return 0, false
}

// delimiterName and delimiterFlag word a delimiter in a hint and as the
// --delimiter value that selects it.
func delimiterName(d rune) string {
	if d == '\t' {
		return "tab"
	}
	return string(d)
}

func delimiterFlag(d rune) string {
	if d == '\t' {
		return "tab"
	}
	return "'" + string(d) + "'"
}
