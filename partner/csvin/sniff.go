package csvin

// sniffDelimiter chooses the field delimiter of a CSV file from the start of
// its text: the candidate of delimiters that occurs most often, outside
// quotes, in the first line (the header row). Ties go to the earlier
// candidate, and a header with none of them (a single column) gives ','.
//
// Only the header is read: it is the one row whose cells are names, chosen
// by people who do not put separators in names, while data cells may hold
// any of the candidates (segment lists are ';'-separated). A header longer
// than start is judged on the part given.
func sniffDelimiter(start []byte) rune {
	var counts [len(delimiters)]int
	quoted := false
scan:
	for _, c := range start {
		switch {
		case c == '"':
			quoted = !quoted // "" inside quotes toggles twice: no change
		case quoted:
		case c == '\n' || c == '\r':
			break scan
		default:
			for i, d := range delimiters {
				if rune(c) == d {
					counts[i]++
				}
			}
		}
	}
	best := 0
	for i, n := range counts {
		if n > counts[best] {
			best = i
		}
	}
	return delimiters[best]
}
