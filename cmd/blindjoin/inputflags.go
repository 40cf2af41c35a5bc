package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/blindjoin/blindjoin/partner/consent"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// formatFlags say how to read an input file: the flags every command that
// reads one takes (match, check, session create --segments-from).
type formatFlags struct {
	delimiter, encoding, segmentNames *string
}

func addFormatFlags(fs *flag.FlagSet) *formatFlags {
	return &formatFlags{
		delimiter:    fs.String("delimiter", "", "field `delimiter` of CSV input: , ; | or tab (default: detected from the header row)"),
		encoding:     fs.String("encoding", "", "character `encoding` of CSV input: utf-8, windows-1252, iso-8859-1 or utf-16 (default: UTF-8, or UTF-16 with a byte order mark)"),
		segmentNames: fs.String("segment-names", "", "how segment labels become names: as-is, or slug (\"Nouveau client\" -> nouveau_client); the same on session create and match"),
	}
}

// format returns the csvin options of the flags; "-" reads std.in.
func (f *formatFlags) format(std stdio) (csvin.Options, flow.SegmentNaming, error) {
	d, err := csvin.ParseDelimiter(*f.delimiter)
	if err != nil {
		return csvin.Options{}, "", err
	}
	enc, err := csvin.ParseEncoding(*f.encoding)
	if err != nil {
		return csvin.Options{}, "", err
	}
	naming, err := flow.ParseSegmentNaming(*f.segmentNames)
	if err != nil {
		return csvin.Options{}, "", err
	}
	return csvin.Options{Delimiter: d, Encoding: enc, Stdin: std.in}, naming, nil
}

// rowFlags select and read the rows of a party's file: the flags match
// and check share.
type rowFlags struct {
	format                                      *formatFlags
	in, idColumn, segmentsColumn, consentColumn *string
	region, consentMap, consentMapFile          *string
	hashed                                      *string // a key list, or hashedIDColumn (see hashedArgs)
	keys                                        keyColumnsFlag
	noSegments                                  *bool
}

// defaultSegmentsColumn is --segments-column's default, on match and
// check as on session create.
const defaultSegmentsColumn = "segments"

// addRowFlags adds the row flags to fs; parse its arguments through
// hashedArgs, for --hashed.
func addRowFlags(fs *flag.FlagSet) *rowFlags {
	f := &rowFlags{keys: keyColumnsFlag{}}
	fs.Var(f.keys, "key", "`TYPE=COLUMN`: the column holding match key TYPE (email, phone, maid); repeat for each key of a multi-key session the input has")
	*f = rowFlags{keys: f.keys,
		format:         addFormatFlags(fs),
		in:             fs.String("in", "", "input `file`: CSV with a header row, .gz or .zst compressed CSV, .parquet, or - for stdin (required)"),
		idColumn:       fs.String("id-column", "", "`column` of the identifiers (one-key sessions; or use --key)"),
		segmentsColumn: fs.String("segments-column", defaultSegmentsColumn, "advertiser: `column` of ';'-separated segment labels (read when the session has segments)"),
		consentColumn:  fs.String("consent-column", "consent", "`column` of TC strings or purpose lists (\"1;3;4;7\", \"li:9\"), or of first-party values with --consent-map"),
		region:         fs.String("region", "", "default `region` (e.g. FR) for phone numbers written without their country code"),
		consentMap:     fs.String("consent-map", "", "read the consent column as first-party values: `VALUE=PURPOSES,...`, e.g. 'Oui=1;3;4;7;9,Non='"),
		consentMapFile: fs.String("consent-map-file", "", "as --consent-map, one VALUE=PURPOSES per line of `file` (values may hold commas)"),
		hashed:         fs.String("hashed", "", "`keys` (e.g. email,phone) whose column holds SHA-256 digests of normalized identifiers (hex or base64); alone: the identifier column"),
		noSegments:     fs.Bool("no-segments", false, "advertiser: match without segments even though the session defines some"),
	}
	return f
}

// apply fills the input options of o from the flags.
func (f *rowFlags) apply(std stdio, o *flow.Options) error {
	switch {
	case *f.in == "" || (*f.idColumn == "" && len(f.keys) == 0):
		return fmt.Errorf("--in and the identifier column (--id-column, or --key TYPE=COLUMN per key) are required")
	case *f.idColumn != "" && len(f.keys) > 0:
		return fmt.Errorf("give --id-column (one-key sessions) or --key TYPE=COLUMN, not both")
	case *f.consentMap != "" && *f.consentMapFile != "":
		return fmt.Errorf("give --consent-map or --consent-map-file, not both")
	}
	format, naming, err := f.format.format(std)
	if err != nil {
		return err
	}
	o.Input, o.Format, o.SegmentNames = *f.in, format, naming
	o.Columns = csvin.Columns{ID: *f.idColumn, Segments: *f.segmentsColumn, Consent: *f.consentColumn}
	o.DefaultRegion, o.NoSegments = *f.region, *f.noSegments
	o.Hashed, o.KeyColumns, o.HashedKeys = *f.hashed == hashedIDColumn, f.keys, hashedKeys(*f.hashed)
	if len(f.keys) == 0 {
		o.KeyColumns = nil
	}
	o.RegionHints = flow.LocaleRegions(std.getenv)
	switch {
	case *f.consentMap != "":
		o.ConsentMap, err = consent.ParseMapping(*f.consentMap)
		o.ConsentMapID = *f.consentMap
	case *f.consentMapFile != "":
		o.ConsentMap, o.ConsentMapID, err = consent.ReadMappingFile(*f.consentMapFile)
	}
	return err
}

// explicit reports whether the flag name was given on the command line.
func explicit(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// keyColumnsFlag collects repeated --key TYPE=COLUMN flags.
type keyColumnsFlag map[string]string

func (k keyColumnsFlag) String() string { return "" }

func (k keyColumnsFlag) Set(v string) error {
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

// hashedIDColumn is the value of a bare --hashed: the one identifier
// column of a one-key session is pre-hashed.
const hashedIDColumn = "*"

// hashedArgs lets --hashed be given alone, as before multi-key sessions,
// or followed by a list of keys ("--hashed email,phone"), which the flag
// package cannot tell apart: a bare --hashed becomes --hashed=*, and a
// --hashed followed by a list of key names takes it as its value.
func hashedArgs(args []string) []string {
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
		out = append(out, "--hashed="+hashedIDColumn)
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

// hashedKeys is the keys of a --hashed list (none for a bare --hashed).
func hashedKeys(v string) []string {
	if v == hashedIDColumn {
		return nil
	}
	return splitList(v)
}
