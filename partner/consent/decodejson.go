package consent

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/blindjoin/blindjoin/partner/consent/tcf"
)

// decodedString is the JSON view of a TC string that `blindjoin consent
// decode` prints. It shows what the string encodes, legitimate-interest bits
// that TCF 2.2 forbids included; ParseCell is what applies the rules. Id
// lists are ascending and never null.
type decodedString struct {
	Version                    int                  `json:"version"`
	Created                    time.Time            `json:"created"`
	LastUpdated                time.Time            `json:"last_updated"`
	CmpID                      int                  `json:"cmp_id"`
	CmpVersion                 int                  `json:"cmp_version"`
	ConsentScreen              int                  `json:"consent_screen"`
	ConsentLanguage            string               `json:"consent_language"`
	VendorListVersion          int                  `json:"vendor_list_version"`
	PolicyVersion              int                  `json:"policy_version"`
	IsServiceSpecific          bool                 `json:"is_service_specific"`
	UseNonStandardTexts        bool                 `json:"use_non_standard_texts"`
	PurposeOneTreatment        bool                 `json:"purpose_one_treatment"`
	PublisherCC                string               `json:"publisher_cc"`
	PurposeConsents            []int                `json:"purpose_consents"`
	PurposeLegitimateInterests []int                `json:"purpose_legitimate_interests"`
	VendorConsents             []int                `json:"vendor_consents"`
	VendorLegitimateInterests  []int                `json:"vendor_legitimate_interests"`
	SpecialFeatureOptIns       []int                `json:"special_feature_optins"`
	PublisherRestrictions      []decodedRestriction `json:"publisher_restrictions"`
	DisclosedVendors           *[]int               `json:"disclosed_vendors,omitempty"`
	AllowedVendors             *[]int               `json:"allowed_vendors,omitempty"`
	PublisherTC                *decodedPublisherTC  `json:"publisher_tc,omitempty"`
}

type decodedRestriction struct {
	PurposeID       int   `json:"purpose_id"`
	RestrictionType int   `json:"restriction_type"`
	VendorIDs       []int `json:"vendor_ids"`
}

type decodedPublisherTC struct {
	PurposeConsents                  []int `json:"purpose_consents"`
	PurposeLegitimateInterests       []int `json:"purpose_legitimate_interests"`
	NumCustomPurposes                int   `json:"num_custom_purposes"`
	CustomPurposeConsents            []int `json:"custom_purpose_consents"`
	CustomPurposeLegitimateInterests []int `json:"custom_purpose_legitimate_interests"`
}

type decodeFailure struct {
	Error string `json:"error"`
}

func newDecodedString(t *tcf.TCString) decodedString {
	d := decodedString{
		Version: t.Version, Created: t.Created, LastUpdated: t.LastUpdated,
		CmpID: t.CmpID, CmpVersion: t.CmpVersion, ConsentScreen: t.ConsentScreen,
		ConsentLanguage: t.ConsentLanguage, VendorListVersion: t.VendorListVersion,
		PolicyVersion: t.PolicyVersion, IsServiceSpecific: t.IsServiceSpecific,
		UseNonStandardTexts: t.UseNonStandardTexts, PurposeOneTreatment: t.PurposeOneTreatment,
		PublisherCC:                t.PublisherCC,
		PurposeConsents:            t.PurposesConsent.IDs(),
		PurposeLegitimateInterests: t.PurposesLITransparency.IDs(),
		VendorConsents:             t.VendorConsents.IDs(),
		VendorLegitimateInterests:  t.VendorLegitimateInterests.IDs(),
		SpecialFeatureOptIns:       t.SpecialFeatureOptIns.IDs(),
		PublisherRestrictions:      make([]decodedRestriction, 0, len(t.PublisherRestrictions)),
	}
	for _, r := range t.PublisherRestrictions {
		d.PublisherRestrictions = append(d.PublisherRestrictions, decodedRestriction{
			PurposeID: r.PurposeID, RestrictionType: int(r.Type), VendorIDs: r.Vendors.IDs(),
		})
	}
	d.DisclosedVendors = optionalIDs(t.DisclosedVendors)
	d.AllowedVendors = optionalIDs(t.AllowedVendors)
	if p := t.PublisherTC; p != nil {
		d.PublisherTC = &decodedPublisherTC{
			PurposeConsents:                  p.PurposesConsent.IDs(),
			PurposeLegitimateInterests:       p.PurposesLITransparency.IDs(),
			NumCustomPurposes:                p.NumCustomPurposes,
			CustomPurposeConsents:            p.CustomPurposesConsent.IDs(),
			CustomPurposeLegitimateInterests: p.CustomPurposesLITransparency.IDs(),
		}
	}
	return d
}

// optionalIDs lists the ids of an optional segment's vendor set, nil (the
// field omitted) when the segment is absent.
func optionalIDs(s *tcf.VendorSet) *[]int {
	if s == nil {
		return nil
	}
	ids := s.IDs()
	return &ids
}

// DecodeToJSON decodes one TC string, surrounding blanks trimmed, and returns
// one JSON object without a trailing newline: the decoded fields, or
// {"error": "..."} for a malformed string. The error names the field at fault
// and never repeats the string.
func DecodeToJSON(s string) []byte {
	t, err := tcf.Decode(strings.TrimSpace(s))
	if err != nil {
		return failureJSON(err)
	}
	out, err := json.Marshal(newDecodedString(t))
	if err != nil {
		// Only ints, strings, bools and times: Marshal cannot fail.
		return failureJSON(err)
	}
	return out
}

func failureJSON(err error) []byte {
	out, _ := json.Marshal(decodeFailure{Error: err.Error()})
	return out
}

// maxLine bounds one input line of DecodeLines: the longest TC string plus
// room for blanks and a CRLF.
const maxLine = tcf.MaxLength + 64

// errLineTooLong is reported, as JSON, for a line over maxLine bytes.
var errLineTooLong = errors.New("consent: line longer than " + strconv.Itoa(maxLine) + " bytes")

// DecodeLines reads one TC string per line from r and writes, for each line,
// one JSON line as DecodeToJSON makes it, in the same order: output line n
// answers input line n, so a blank or bad line gets an error object and the
// stream goes on. A final newline does not make an extra line. Lines longer
// than tcf.MaxLength plus a little slack are skipped with an error object. It
// returns only read and write errors.
func DecodeLines(r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, maxLine)
	bw := bufio.NewWriter(w)
	for {
		line, tooLong, readErr := readLine(br)
		if len(line) > 0 || tooLong {
			out := failureJSON(errLineTooLong)
			if !tooLong {
				out = DecodeToJSON(string(line))
			}
			if _, err := bw.Write(append(out, '\n')); err != nil {
				return err
			}
		}
		if readErr == io.EOF {
			return bw.Flush()
		}
		if readErr != nil {
			return errors.Join(readErr, bw.Flush())
		}
		// Flush before the next read may block, so that an interactive
		// caller sees each answer as soon as its line is complete.
		if br.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
	}
}

// readLine returns the next line, its newline included; a line that does not
// fit the reader's buffer is consumed and reported as tooLong.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	line, err = br.ReadSlice('\n')
	for errors.Is(err, bufio.ErrBufferFull) {
		tooLong = true
		_, err = br.ReadSlice('\n')
	}
	return line, tooLong, err
}
