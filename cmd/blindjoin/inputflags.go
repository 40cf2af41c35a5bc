package main

import (
	"flag"
	"fmt"

	"github.com/blindjoin/blindjoin/internal/cli"
	"github.com/blindjoin/blindjoin/partner/consent"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/partner/flow"
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
	hashed                                      *string // a key list, or cli.HashedIDColumn (see cli.HashedArgs)
	keys                                        cli.KeyColumns
	noSegments                                  *bool
}

// defaultSegmentsColumn is --segments-column's default, on match and
// check as on session create.
const defaultSegmentsColumn = "segments"

// addRowFlags adds the row flags to fs; parse its arguments through
// cli.HashedArgs, for --hashed.
func addRowFlags(fs *flag.FlagSet) *rowFlags {
	f := &rowFlags{keys: cli.KeyColumns{}}
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
	o.Hashed, o.KeyColumns, o.HashedKeys = *f.hashed == cli.HashedIDColumn, f.keys, cli.HashedKeys(*f.hashed)
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
