package identifier_test

import (
	"testing"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

func TestMAID(t *testing.T) {
	runNormTable(t, identifier.Normalizer{}, identifier.MAID, []normCase{
		{name: "IDFA upper", in: "6D92078A-8246-4BA4-AE5B-76104861E7DC", want: "6d92078a-8246-4ba4-ae5b-76104861e7dc"},
		{name: "AAID lower", in: "97987bca-ae59-4c7d-94ba-ee4f19ab8c21", want: "97987bca-ae59-4c7d-94ba-ee4f19ab8c21"},
		{name: "mixed and trimmed", in: " 97987BCA-ae59-4C7D-94ba-EE4F19AB8C21\n", want: "97987bca-ae59-4c7d-94ba-ee4f19ab8c21"},
		{name: "nearly zero", in: "00000000-0000-0000-0000-000000000001", want: "00000000-0000-0000-0000-000000000001"},
		{name: "empty", in: "", reason: "empty"},
		{name: "zeroed IDFA", in: "00000000-0000-0000-0000-000000000000", reason: "all-zero ID (ad tracking limited or refused)"},
		{name: "no hyphens", in: "6D92078A82464BA4AE5B76104861E7DC", reason: "not a hyphenated 8-4-4-4-12 UUID"},
		{name: "braces", in: "{6D92078A-8246-4BA4-AE5B-76104861E7DC}", reason: "not a hyphenated 8-4-4-4-12 UUID"},
		{name: "urn", in: "urn:uuid:6D92078A-8246-4BA4-AE5B-76104861E7DC", reason: "not a hyphenated 8-4-4-4-12 UUID"},
		{name: "group lengths 9-3", in: "6D92078A8-246-4BA4-AE5B-76104861E7DC", reason: "not a hyphenated 8-4-4-4-12 UUID"},
		{name: "group lengths last", in: "6D92078A-8246-4BA4-AE5B7-6104861E7DC", reason: "not a hyphenated 8-4-4-4-12 UUID"},
		{name: "35 chars", in: "6D92078A-8246-4BA4-AE5B-76104861E7D", reason: "not a hyphenated 8-4-4-4-12 UUID"},
		{name: "37 chars", in: "6D92078A-8246-4BA4-AE5B-76104861E7DCA", reason: "not a hyphenated 8-4-4-4-12 UUID"},
		{name: "spaces for hyphens", in: "6D92078A 8246 4BA4 AE5B 76104861E7DC", reason: "not a hyphenated 8-4-4-4-12 UUID"},
		{name: "non-hex", in: "6D92078A-8246-4BA4-AE5B-76104861E7DG", reason: "non-hex character"},
		{name: "NUL", in: "6D92078A-8246-4BA4-AE5B-76104861E7D\x00", reason: "non-hex character"},
		{name: "invalid UTF-8", in: "6D92078A-8246-4BA4-AE5B-76104861E7D\xff", reason: "non-hex character"},
		{name: "unicode", in: "6D92078A-8246-4BA4-AE5B-76104861E7é", reason: "non-hex character"},
		{name: "inner space", in: "6D92078A-8246-4BA4-AE5B-7610486 E7DC", reason: "non-hex character"},
	})
}
