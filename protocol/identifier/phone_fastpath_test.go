package identifier_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

// The fast path for numbers written with '+' (numberFromDigits) must give
// exactly what reading every number with phonenumbers.Parse gave: the same
// E.164 form, or the same error, for every input. These tests hold the two
// against each other on the library's example numbers of every region and
// type in several spellings, on random digit strings, on the normalization
// tables, on hostile input, and under FuzzInternationalFastPath.

// agreesWithParse reports how in is read by the production path and the
// reference, and whether the number was built without Parse; the test
// fails on any difference.
func agreesWithParse(t *testing.T, in string) (fast bool) {
	t.Helper()
	got, gotErr := identifier.ParseInternational(in)
	want, wantErr := identifier.ParseInternationalByLibrary(in)
	if got != want || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("%q: fast path gives %q, %v; Parse gives %q, %v", in, got, gotErr, want, wantErr)
	}
	fast, diff := identifier.CompareNumberWithParse(in)
	if diff != "" {
		t.Fatalf("%q: %s", in, diff)
	}
	return fast
}

// exampleNumbers returns the library's example number of every region,
// non-geographical calling code and number type.
func exampleNumbers() []*phonenumbers.PhoneNumber {
	regions := make([]string, 0, len(phonenumbers.GetSupportedRegions()))
	for region := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, region)
	}
	sort.Strings(regions)
	var nums []*phonenumbers.PhoneNumber
	for _, region := range regions {
		for typ := phonenumbers.FIXED_LINE; typ <= phonenumbers.UNKNOWN; typ++ {
			if num := phonenumbers.GetExampleNumberForType(region, typ); num != nil {
				nums = append(nums, num)
			}
		}
	}
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		if num := phonenumbers.GetExampleNumberForNonGeoEntity(cc); num != nil {
			nums = append(nums, num)
		}
	}
	return nums
}

// spellings returns num written in E.164, in the library's international
// format, with dashes, dots, slashes or parentheses as separators, with the
// national format (national prefix included) after the calling code, and
// in RFC 3966 (refused by the text check, like any letter).
func spellings(num *phonenumbers.PhoneNumber) []string {
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	international := phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
	cc := strconv.Itoa(int(num.GetCountryCode()))
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	return []string{
		e164,
		international,
		strings.ReplaceAll(international, " ", "-"),
		strings.ReplaceAll(international, " ", "."),
		strings.ReplaceAll(international, " ", "/"),
		"+" + cc + " (" + nsn[:min(3, len(nsn))] + ") " + nsn[min(3, len(nsn)):],
		"+(" + cc + ")" + nsn,
		"+" + cc + " " + phonenumbers.Format(num, phonenumbers.NATIONAL),
		"+" + cc + " (0)" + nsn,
		"+" + cc + "0" + nsn,
		"+" + cc + "1" + nsn,
		"+" + cc + "8" + nsn,
		e164[:len(e164)-1],
		e164 + "0",
		e164[:len(e164)-1] + string('0'+(e164[len(e164)-1]-'0'+1)%10),
		phonenumbers.Format(num, phonenumbers.RFC3966),
	}
}

func TestFastPathExampleNumbers(t *testing.T) {
	nums := exampleNumbers()
	if len(nums) < 1000 {
		t.Fatalf("only %d example numbers: the metadata did not load", len(nums))
	}
	fast, total := 0, 0
	for _, num := range nums {
		for _, in := range spellings(num) {
			if agreesWithParse(t, in) {
				fast++
			}
			total++
		}
		// The example itself, in E.164, is valid, and read without Parse
		// unless its national number starts like a national prefix.
		e164 := phonenumbers.Format(num, phonenumbers.E164)
		if got, err := identifier.ParseInternational(e164); err == nil && got != e164 {
			t.Errorf("%s read as %s", e164, got)
		}
	}
	t.Logf("%d inputs from %d example numbers, %d read without Parse", total, len(nums), fast)
}

// TestFastPathCoversExamples keeps the fast path fast: nearly every
// example number written in E.164 must be read without Parse (the ones
// that are not start with their country's national prefix for parsing).
func TestFastPathCoversExamples(t *testing.T) {
	nums := exampleNumbers()
	fast := 0
	for _, num := range nums {
		if ok, _ := identifier.CompareNumberWithParse(phonenumbers.Format(num, phonenumbers.E164)); ok {
			fast++
		}
	}
	if fast < len(nums)*9/10 {
		t.Errorf("only %d of %d example numbers read without Parse", fast, len(nums))
	}
	for _, in := range []string{"+33612345678", "+14155550100", "+447400123456", "+4915123456789", "+393123456789", "+390612345678"} {
		if ok, _ := identifier.CompareNumberWithParse(in); !ok {
			t.Errorf("%s: read by Parse", in)
		}
	}
}

func TestFastPathRandomDigits(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 2026))
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	var b strings.Builder
	for range n {
		b.Reset()
		b.WriteByte('+')
		for range 6 + rng.IntN(12) {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
		agreesWithParse(t, b.String())
	}
	// Every calling code, followed by national numbers that start with
	// zeros, with its national prefix or with anything.
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		for _, head := range []string{"", "0", "00", "000", "1", "8", "9", "15", "0000000000000"} {
			for range 20 {
				b.Reset()
				b.WriteString("+" + strconv.Itoa(cc) + head)
				for b.Len() < 8+rng.IntN(10) {
					b.WriteByte(byte('0' + rng.IntN(10)))
				}
				agreesWithParse(t, b.String())
			}
		}
	}
}

func TestFastPathTables(t *testing.T) {
	for _, table := range [][]normCase{phoneE164Cases, phoneNoRegionCases, phoneFRCases, phoneUSCases, phoneFrenchOverseasCases} {
		for _, c := range table {
			if in := strings.TrimSpace(c.in); strings.HasPrefix(in, "+") {
				agreesWithParse(t, in)
			}
		}
	}
}

// fastPathHostile are inputs on which Parse does something other than
// reading digits: extensions, RFC 3966, letters, a second number, other
// plus signs and digits, national prefixes and carrier codes after the
// calling code, calling codes the metadata does not know, and lengths at
// the limits.
var fastPathHostile = []string{
	"+", "+0", "+01234567890", "+ 1 2 3 4 5 6 7 8 9 0", "+()()()()1234567890", "+1234567890()", "+.-/ ()",
	"+1 415 555 0100 ext 12", "+1 415 555 0100 x12", "+1 415 555 0100 X 12", "+1 415 555 0100#", "+1 415 555 0100 - 12#",
	"+1 415 555 0100;ext=12", "+1 415 555 0100,,12", "+1 415 555 0100;12", "+1 415 555 0100 ~12",
	"tel:+1-415-555-0100", "+1-415-555-0100;phone-context=+1", "+1-415-555-0100;isub=12",
	"+1 (530) 583-6985 x302/x2303", "+1 (530) 583-6985/x2303", "+1-800-FLOWERS", "+1 800 356 9377 abc",
	"++14155550100", "+＋14155550100", "+14155550100+", "+1415555+0100", "+１4155550100", "+1415555٠100",
	"+1 415 555 0100\u00a0", "+1\u2010415\u2010555\u20100100", "+1 415 555 0100\t", "+1 415 555 0100\n",
	"+1 1 415 555 0100", "+1 1415 555 0100", "+7 8 800 555 35 35", "+7 800 555 35 35", "+33 0 6 12 34 56 78",
	"+33 (0) 6 12 34 56 78", "+44 (0)20 7183 8750", "+39 06 1234 5678", "+39 0 6 1234 5678", "+39 000 000 0000",
	"+54 9 11 1234 5678", "+54 0 11 15 1234 5678", "+54 11 15 1234 5678", "+55 0 21 2345 6789", "+55 021 2345 6789",
	"+52 1 55 1234 5678", "+52 55 1234 5678", "+225 01 23 45 67 89", "+225 0123456789", "+61 0 4 1234 5678",
	"+800 1234 5678", "+808 1234 5678", "+870 301 234 567", "+882 1234 5678 90", "+883 1234 5678 90", "+979 1 2345 6789",
	"+999 1234 5678", "+28 1234 5678", "+80 1234 5678", "+42 1234 5678", "+259 1234 5678", "+6 1234 5678 9",
	"+100000000000000", "+999999999999999", "+100000000", "+1000000000", "+10000000000000000",
	"+" + strings.Repeat(" ", 52) + "14155550100", "+" + strings.Repeat("-", 53) + "14155550100",
	"+1" + strings.Repeat("0", 14), "+3" + strings.Repeat("0", 14), "+39" + strings.Repeat("0", 13),
}

func TestFastPathHostile(t *testing.T) {
	for _, in := range fastPathHostile {
		agreesWithParse(t, in)
	}
}

func FuzzInternationalFastPath(f *testing.F) {
	for _, in := range fastPathHostile {
		f.Add(in)
	}
	for _, num := range exampleNumbers()[:50] {
		for _, in := range spellings(num) {
			f.Add(in)
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !strings.HasPrefix(in, "+") {
			in = "+" + in
		}
		agreesWithParse(t, in)
	})
}
