// Package cli is the command-line machinery blindjoin's commands share:
// flags that may stand between positional arguments, the usage status, and
// the flag values of the party tool (repeatable --key TYPE=COLUMN, and
// --hashed alone or with a list of keys), and sizes with units for the
// operator's and the bench's memory budget. It parses; the commands in
// cmd/blindjoin decide.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// Exit statuses of a command that only parsed its flags.
const (
	ExitOK    = 0
	ExitUsage = 2 // bad flags or arguments
)

// Args parses flags that may stand before, between or after positional
// arguments ("match ID --in f.csv") and returns the positional ones.
func Args(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// ParseOrUsage parses args and turns a flag error into the usage status.
// It returns ok=false when the command must stop with status code.
func ParseOrUsage(fs *flag.FlagSet, args []string) (positional []string, code int, ok bool) {
	positional, err := Args(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, ExitOK, false
	}
	if err != nil {
		return nil, ExitUsage, false
	}
	return positional, ExitOK, true
}

// Explicit reports whether the flag name was given on the command line.
func Explicit(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// KeyColumns collects repeated --key TYPE=COLUMN flags.
type KeyColumns map[string]string

func (k KeyColumns) String() string { return "" }

func (k KeyColumns) Set(v string) error {
	typ, col, ok := strings.Cut(v, "=")
	typ, col = strings.TrimSpace(typ), strings.TrimSpace(col)
	switch {
	case !ok || col == "":
		return errors.New("want TYPE=COLUMN, e.g. email=Email")
	case typ != api.MatchKeyEmail && typ != api.MatchKeyPhone && typ != api.MatchKeyMAID:
		return fmt.Errorf("key type %q: want email, phone or maid", typ)
	case k[typ] != "":
		return fmt.Errorf("key %s given twice", typ)
	}
	k[typ] = col
	return nil
}

// HashedIDColumn is the value of a bare --hashed: the one identifier
// column of a one-key session is pre-hashed.
const HashedIDColumn = "*"

// HashedArgs lets --hashed be given alone, as before multi-key sessions,
// or followed by a list of keys ("--hashed email,phone"), which the flag
// package cannot tell apart: a bare --hashed becomes --hashed=*, and a
// --hashed followed by a list of key names takes it as its value.
func HashedArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if a != "--hashed" && a != "-hashed" {
			out = append(out, a)
			continue
		}
		if i+1 < len(args) && isKeyList(args[i+1]) {
			out = append(out, "--hashed="+args[i+1])
			i++
			continue
		}
		out = append(out, "--hashed="+HashedIDColumn)
	}
	return out
}

func isKeyList(s string) bool {
	for k := range strings.SplitSeq(s, ",") {
		if k = strings.TrimSpace(k); k != api.MatchKeyEmail && k != api.MatchKeyPhone && k != api.MatchKeyMAID {
			return false
		}
	}
	return true
}

// HashedKeys is the keys of a --hashed list (none for a bare --hashed).
func HashedKeys(v string) []string {
	if v == HashedIDColumn {
		return nil
	}
	return SplitList(v)
}

// SplitList splits a comma-separated flag value, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// ByteSize is a flag value in bytes written with a unit, as
// github.com/dustin/go-humanize reads it (512MiB, 2GB, 1073741824).
type ByteSize int64

func (b *ByteSize) String() string { return humanize.IBytes(uint64(*b)) }

func (b *ByteSize) Set(s string) error {
	n, err := humanize.ParseBytes(s)
	if err != nil || n > math.MaxInt64 {
		return fmt.Errorf("%q is not a size such as 512MiB or 2GiB", s)
	}
	*b = ByteSize(n)
	return nil
}
