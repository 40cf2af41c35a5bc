package consent

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	// ErrInvalidMapping is wrapped by every error ParseMapping and
	// ReadMapping return.
	ErrInvalidMapping = errors.New("consent: invalid consent mapping")
	// ErrUnmapped is returned by Mapping.ParseCell for a cell that is not
	// one of the mapping's values. The error does not carry the cell.
	ErrUnmapped = errors.New("consent: value not in the consent mapping")
)

// Limits on a mapping: a first-party consent column has a handful of
// values ("Oui", "Non", "opt-in"...), not hundreds.
const (
	maxMappingValues   = 256
	maxMappingValueLen = 64
	maxMappingFile     = 64 << 10
)

// Mapping turns the values of a first-party consent column (a CRM's
// "Oui"/"Non", "opt-in"/"opt-out") into the purposes they stand for, so
// that such a column counts and releases rows as a TC string or an
// explicit purpose list would.
//
// A cell matches a value exactly after both are trimmed of surrounding
// white space: case matters ("oui" is not "Oui"). Matching is the only
// thing that grants consent here, so it guesses nothing; a column that
// holds several spellings lists each. An empty cell grants nothing, as
// everywhere in this package, and cannot be mapped to purposes.
type Mapping struct {
	facts map[string]Facts
}

// ParseMapping reads a mapping written on one line, as a --consent-map
// flag takes it: entries separated by ',', each VALUE=LIST, where LIST is
// a purpose list as ParsePurposeList reads it ("1;3;4;7;9", "li:7") or
// empty for a value that grants no purpose. For example
// "Oui=1;3;4;7;9,Non=". A value cannot hold ',' or '=' here; ReadMapping
// reads one entry per line, for values with a comma.
//
// Malformed entries, an empty or repeated value (repeated even with the
// same list: one of the two is a typo) and invalid lists are errors that
// wrap ErrInvalidMapping and name the entry by number and value.
func ParseMapping(spec string) (*Mapping, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("%w: no entries (want VALUE=PURPOSES, e.g. Oui=1;3;4;7;9,Non=)", ErrInvalidMapping)
	}
	m := &Mapping{facts: map[string]Facts{}}
	for i, entry := range strings.Split(spec, ",") {
		if err := m.add(entry); err != nil {
			return nil, fmt.Errorf("%w: entry %d: %w", ErrInvalidMapping, i+1, err)
		}
	}
	return m, nil
}

// ReadMapping reads a mapping file: one VALUE=LIST entry per line, as in
// ParseMapping; blank lines and lines starting with '#' are skipped.
// Errors name the line. At most 64 KiB are read.
func ReadMapping(r io.Reader) (*Mapping, error) {
	m := &Mapping{facts: map[string]Facts{}}
	sc := bufio.NewScanner(io.LimitReader(r, maxMappingFile+1))
	sc.Buffer(make([]byte, 4096), maxMappingFile+1)
	read, line := 0, 0
	for sc.Scan() {
		line++
		read += len(sc.Bytes()) + 1
		if read > maxMappingFile {
			return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidMapping, maxMappingFile)
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if err := m.add(text); err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrInvalidMapping, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidMapping, maxMappingFile)
		}
		return nil, fmt.Errorf("consent: read mapping: %w", err)
	}
	if len(m.facts) == 0 {
		return nil, fmt.Errorf("%w: no entries (want one VALUE=PURPOSES per line)", ErrInvalidMapping)
	}
	return m, nil
}

// add parses one VALUE=LIST entry into m. Errors name the value, which is
// the user's configuration, never a cell.
func (m *Mapping) add(entry string) error {
	value, list, ok := strings.Cut(entry, "=")
	value, list = strings.TrimSpace(value), strings.TrimSpace(list)
	switch {
	case !ok:
		return errors.New("no '=' (want VALUE=PURPOSES)")
	case value == "":
		return errors.New("empty value: an empty cell never grants consent and cannot be mapped")
	case len(value) > maxMappingValueLen:
		return fmt.Errorf("value longer than %d bytes", maxMappingValueLen)
	case !utf8.ValidString(value) || strings.ContainsFunc(value, unicode.IsControl):
		return errors.New("value is not printable UTF-8 text")
	case len(m.facts) == maxMappingValues:
		return fmt.Errorf("more than %d values", maxMappingValues)
	}
	if _, dup := m.facts[value]; dup {
		return fmt.Errorf("value %q is mapped twice", value)
	}
	var f Facts
	if list != "" {
		var err error
		if f.consents, f.lis, err = ParsePurposeList(list); err != nil {
			return fmt.Errorf("value %q: %w", value, err)
		}
	}
	m.facts[value] = f
	return nil
}

// ParseCell returns the facts the mapping gives cell, trimmed: the
// purposes of its value, no vendor (a first-party column names none). A
// blank cell grants nothing. Any other cell not in the mapping is
// ErrUnmapped, which does not repeat the cell: in a mis-chosen column it
// may be an identifier.
func (m *Mapping) ParseCell(cell string) (Facts, error) {
	cell = strings.TrimSpace(cell)
	if cell == "" {
		return Facts{}, nil
	}
	f, ok := m.facts[cell]
	if !ok {
		return Facts{}, ErrUnmapped
	}
	return f, nil
}

// ReadMappingFile reads the mapping file at path (see ReadMapping). Its id,
// which a resume record keeps to tell whether the mapping changed, is the
// SHA-256 of its bytes.
func ReadMappingFile(path string) (m *Mapping, id string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	if m, err = ReadMapping(bytes.NewReader(data)); err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	return m, "file sha256:" + hex.EncodeToString(sum[:]), nil
}
