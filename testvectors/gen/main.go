// Command gen writes blindjoin's own test vectors, records.json,
// encodings.json, intersection.json and multikey.json, into the current
// directory. It runs
// from "go generate ./testvectors" (the directive is in ../embed.go).
//
// The output is deterministic, so CI can check that regenerating leaves the
// tree unchanged: the keys are derived from fixed labels, nothing else is
// random, and the JSON is written in a fixed field order, indented, in pure
// ASCII (every non-ASCII character as a \u escape, so that invisible ones
// such as a no-break space are visible in review).
//
// The group operations here use circl's group.Ristretto255, not
// protocol/blind, whose production backend (gtank/ristretto255) the Go
// replay runs, so that replay compares two implementations; the Python
// replay (replay.py) is a third. Normalization has one Go implementation,
// protocol/identifier; the UID2 examples pin it to UID2's published hashes,
// which gen checks before writing anything.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/blindjoin/blindjoin/protocol"
	"github.com/blindjoin/blindjoin/testvectors/internal/schema"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "testvectors/gen:", err)
		os.Exit(1)
	}
}

func run() error {
	k, err := fixedKeys()
	if err != nil {
		return err
	}
	outputs := []struct {
		name  string
		build func(*keys) (*schema.File, error)
	}{
		{"records.json", recordsFile},
		{"encodings.json", encodingsFile},
		{"intersection.json", intersectionFile},
		{"multikey.json", multiKeyFile},
	}
	// Build everything before writing anything, so a failed check leaves
	// the existing files alone.
	data := make([][]byte, len(outputs))
	for i, o := range outputs {
		f, err := o.build(k)
		if err != nil {
			return fmt.Errorf("%s: %w", o.name, err)
		}
		f.Suite, f.DST = protocol.Suite, protocol.DST
		if data[i], err = marshal(f); err != nil {
			return fmt.Errorf("%s: %w", o.name, err)
		}
	}
	for i, o := range outputs {
		if err := os.WriteFile(o.name, data[i], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// marshal writes f as indented JSON with every non-ASCII character escaped.
// Outside strings JSON is ASCII, so escaping rune by rune is safe.
func marshal(f *schema.File) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	for _, r := range buf.String() {
		if r < utf8.RuneSelf {
			out.WriteRune(r)
			continue
		}
		// Above U+FFFF JSON takes a UTF-16 surrogate pair.
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&out, `\u%04x`, u)
		}
	}
	return out.Bytes(), nil
}

// quote shows a test input in an error message; inputs here are made up.
func quote(s string) string { return strconv.QuoteToASCII(s) }
