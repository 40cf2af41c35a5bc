package main

import (
	"flag"
	"fmt"

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
	hashed, noSegments                          *bool
}

// defaultSegmentsColumn is --segments-column's default, on match and
// check as on session create.
const defaultSegmentsColumn = "segments"

func addRowFlags(fs *flag.FlagSet) *rowFlags {
	return &rowFlags{
		format:         addFormatFlags(fs),
		in:             fs.String("in", "", "input `file`: CSV with a header row, .gz or .zst compressed CSV, .parquet, or - for stdin (required)"),
		idColumn:       fs.String("id-column", "", "`column` of the identifiers (required)"),
		segmentsColumn: fs.String("segments-column", defaultSegmentsColumn, "advertiser: `column` of ';'-separated segment labels (read when the session has segments)"),
		consentColumn:  fs.String("consent-column", "consent", "`column` of TC strings or purpose lists (\"1;3;4;7\", \"li:9\"), or of first-party values with --consent-map"),
		region:         fs.String("region", "", "default `region` (e.g. FR) for phone numbers written without their country code"),
		consentMap:     fs.String("consent-map", "", "read the consent column as first-party values: `VALUE=PURPOSES,...`, e.g. 'Oui=1;3;4;7;9,Non='"),
		consentMapFile: fs.String("consent-map-file", "", "as --consent-map, one VALUE=PURPOSES per line of `file` (values may hold commas)"),
		hashed:         fs.Bool("hashed", false, "the identifier column holds SHA-256 digests of normalized identifiers (hex or base64)"),
		noSegments:     fs.Bool("no-segments", false, "advertiser: match without segments even though the session defines some"),
	}
}

// apply fills the input options of o from the flags.
func (f *rowFlags) apply(std stdio, o *flow.Options) error {
	switch {
	case *f.in == "" || *f.idColumn == "":
		return fmt.Errorf("--in and --id-column are required")
	case *f.consentMap != "" && *f.consentMapFile != "":
		return fmt.Errorf("give --consent-map or --consent-map-file, not both")
	}
	format, naming, err := f.format.format(std)
	if err != nil {
		return err
	}
	o.Input, o.Format, o.SegmentNames = *f.in, format, naming
	o.Columns = csvin.Columns{ID: *f.idColumn, Segments: *f.segmentsColumn, Consent: *f.consentColumn}
	o.DefaultRegion, o.Hashed, o.NoSegments = *f.region, *f.hashed, *f.noSegments
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
