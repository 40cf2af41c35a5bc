package identifier_test

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

// The phone validator must answer exactly what the library answers:
// identifier.IsValidNumber as phonenumbers.IsValidNumber, and
// identifier.IsValidNumberForRegion as phonenumbers.IsValidNumberForRegion
// for every region of the number's calling code, the non-geographical
// region "001", a region of another calling code and region codes the
// library does not know. These tests hold the two against each other on
// the library's example numbers of every region and type, on every
// one-digit change, insertion and deletion of them, on random national
// numbers of every length for every calling code, on the leading-zero
// fields in every combination, on hostile numbers, and under
// FuzzPhoneValidity.

// validityCounts tallies the numbers compared, so that a test can tell it
// compared both valid and invalid ones.
type validityCounts struct{ numbers, valid int }

// agreesWithLibrary compares the validator with the library on num, and
// the E.164 form of a valid num with the library's.
func (c *validityCounts) agreesWithLibrary(t *testing.T, num *phonenumbers.PhoneNumber, extraRegions ...string) {
	t.Helper()
	want := phonenumbers.IsValidNumber(num)
	if got := identifier.IsValidNumber(num); got != want {
		t.Fatalf("%s: IsValidNumber = %v, library: %v", describe(num), got, want)
	}
	c.numbers++
	if want {
		c.valid++
		if got, want := identifier.E164(num), phonenumbers.Format(num, phonenumbers.E164); got != want {
			t.Fatalf("%s: E.164 %q, library: %q", describe(num), got, want)
		}
	}
	regions := append(phonenumbers.GetRegionCodesForCountryCode(int(num.GetCountryCode())), extraRegions...)
	for _, region := range append(regions, "001", "", "ZZ", "fr", otherRegion(num)) {
		want := phonenumbers.IsValidNumberForRegion(num, region)
		if got := identifier.IsValidNumberForRegion(num, region); got != want {
			t.Fatalf("%s: IsValidNumberForRegion(%q) = %v, library: %v", describe(num), region, got, want)
		}
	}
}

// otherRegion is a region whose calling code is not num's.
func otherRegion(num *phonenumbers.PhoneNumber) string {
	if num.GetCountryCode() == 33 {
		return "DE"
	}
	return "FR"
}

func describe(num *phonenumbers.PhoneNumber) string {
	s := "+" + strconv.Itoa(int(num.GetCountryCode())) + " " + strconv.FormatUint(num.GetNationalNumber(), 10)
	if num.ItalianLeadingZero != nil {
		s += " italian=" + strconv.FormatBool(num.GetItalianLeadingZero())
	}
	if num.NumberOfLeadingZeros != nil {
		s += " zeros=" + strconv.Itoa(int(num.GetNumberOfLeadingZeros()))
	}
	return s
}

// numberOf builds the number of calling code cc and national significant
// number nsn (at most 19 digits) as the parser builds it: leading zeros
// kept in ItalianLeadingZero and NumberOfLeadingZeros.
func numberOf(cc int32, nsn string) *phonenumbers.PhoneNumber {
	nn, err := strconv.ParseUint(nsn, 10, 64)
	if err != nil {
		panic(nsn)
	}
	num := &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &nn}
	if len(nsn) > 1 && nsn[0] == '0' {
		italian := true
		zeros := int32(1)
		for int(zeros) < len(nsn)-1 && nsn[zeros] == '0' {
			zeros++
		}
		num.ItalianLeadingZero, num.NumberOfLeadingZeros = &italian, &zeros
	}
	return num
}

// mutations returns nsn with each digit changed to every other digit, a
// digit inserted everywhere and each digit removed.
func mutations(nsn string) []string {
	var out []string
	for i := range len(nsn) {
		for d := byte('0'); d <= '9'; d++ {
			if d != nsn[i] {
				out = append(out, nsn[:i]+string(d)+nsn[i+1:])
			}
		}
		if len(nsn) > 1 {
			out = append(out, nsn[:i]+nsn[i+1:])
		}
	}
	for i := range len(nsn) + 1 {
		for d := byte('0'); d <= '9'; d++ {
			out = append(out, nsn[:i]+string(d)+nsn[i:])
		}
	}
	return out
}

func requireCompiled(t *testing.T) {
	if !identifier.PhoneValidatorCompiled() {
		t.Fatal("the phone validator did not compile the metadata: it is asking the library, and this test compares the library with itself")
	}
}

func TestPhoneValidityExampleNumbers(t *testing.T) {
	requireCompiled(t)
	nums := exampleNumbers()
	if len(nums) < 1000 {
		t.Fatalf("only %d example numbers: the metadata did not load", len(nums))
	}
	step := 1
	if testing.Short() {
		step = 7
	}
	var c validityCounts
	for i, num := range nums {
		c.agreesWithLibrary(t, num)
		if i%step != 0 {
			continue
		}
		for _, nsn := range mutations(phonenumbers.GetNationalSignificantNumber(num)) {
			c.agreesWithLibrary(t, numberOf(num.GetCountryCode(), nsn))
		}
	}
	// A mutation keeps a number valid often enough for both answers to
	// have been compared many times.
	if c.valid < c.numbers/20 || c.numbers-c.valid < c.numbers/20 {
		t.Errorf("%d of %d numbers valid: the comparison is lopsided", c.valid, c.numbers)
	}
	t.Logf("%d numbers from %d examples, %d valid", c.numbers, len(nums), c.valid)
}

func TestPhoneValidityRandomNumbers(t *testing.T) {
	requireCompiled(t)
	rng := rand.New(rand.NewPCG(11, 2027))
	perLength := 12
	if testing.Short() {
		perLength = 2
	}
	var c validityCounts
	digits := make([]byte, 0, 17)
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		for length := 1; length <= 17; length++ {
			for range perLength {
				digits = digits[:0]
				for range length {
					digits = append(digits, byte('0'+rng.IntN(10)))
				}
				c.agreesWithLibrary(t, numberOf(int32(cc), string(digits)))
			}
		}
	}
	if c.valid == 0 {
		t.Error("no random number was valid")
	}
	t.Logf("%d numbers, %d valid", c.numbers, c.valid)
}

// TestPhoneValidityLeadingZeros sets the leading-zero fields of example
// numbers and of numbers of zeros in every combination the library's
// GetNationalSignificantNumber reads differently: unset (one zero when
// ItalianLeadingZero is set), zero, negative, and past its bound of
// MAX_LENGTH_FOR_NSN.
func TestPhoneValidityLeadingZeros(t *testing.T) {
	requireCompiled(t)
	var nums []*phonenumbers.PhoneNumber
	for _, num := range exampleNumbers() {
		nums = append(nums, num)
		// The example without the leading zeros it had, if any.
		nums = append(nums, &phonenumbers.PhoneNumber{CountryCode: num.CountryCode, NationalNumber: num.NationalNumber})
	}
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		for _, nn := range []uint64{0, 1, 5, 10, 123456} {
			nums = append(nums, &phonenumbers.PhoneNumber{CountryCode: ptr(int32(cc)), NationalNumber: ptr(nn)})
		}
	}
	var c validityCounts
	for _, num := range nums {
		for _, italian := range []*bool{nil, ptr(false), ptr(true)} {
			for _, zeros := range []*int32{nil, ptr[int32](-1), ptr[int32](0), ptr[int32](1), ptr[int32](2),
				ptr[int32](3), ptr[int32](16), ptr[int32](17), ptr[int32](18), ptr[int32](math.MaxInt32), ptr[int32](math.MinInt32)} {
				c.agreesWithLibrary(t, &phonenumbers.PhoneNumber{
					CountryCode:          num.CountryCode,
					NationalNumber:       num.NationalNumber,
					ItalianLeadingZero:   italian,
					NumberOfLeadingZeros: zeros,
				})
			}
		}
	}
	if c.valid == 0 {
		t.Error("no number was valid")
	}
	t.Logf("%d numbers, %d valid", c.numbers, c.valid)
}

// TestPhoneValidityHostile covers calling codes the metadata does not
// know or cannot hold, unset fields and national numbers at the limits.
func TestPhoneValidityHostile(t *testing.T) {
	requireCompiled(t)
	var c validityCounts
	c.agreesWithLibrary(t, &phonenumbers.PhoneNumber{})
	for _, cc := range []int32{0, -1, -33, 2, 28, 42, 80, 259, 800, 808, 870, 878, 881, 882, 883, 888, 979, 999, 1000, 1033, math.MaxInt32, math.MinInt32} {
		c.agreesWithLibrary(t, &phonenumbers.PhoneNumber{CountryCode: ptr(cc)}, "US", "CA", "GB")
		for _, nn := range []uint64{0, 1, 12345678, 612345678, 4155550100, 80012345678, 12345678901234567, math.MaxUint64} {
			c.agreesWithLibrary(t, &phonenumbers.PhoneNumber{CountryCode: ptr(cc), NationalNumber: ptr(nn)}, "US", "CA", "GB")
		}
	}
	for _, nn := range []uint64{0, 9999999999, math.MaxUint64} {
		c.agreesWithLibrary(t, &phonenumbers.PhoneNumber{NationalNumber: ptr(nn)}, "US")
	}
}

func FuzzPhoneValidity(f *testing.F) {
	for _, num := range exampleNumbers()[:100] {
		f.Add(num.GetCountryCode(), num.GetNationalNumber(), num.GetItalianLeadingZero(), num.GetNumberOfLeadingZeros(), "")
	}
	f.Add(int32(1), uint64(4165550143), false, int32(1), "CA")
	f.Add(int32(44), uint64(7400123456), false, int32(1), "GG")
	f.Add(int32(39), uint64(612345678), true, int32(1), "IT")
	f.Add(int32(800), uint64(12345678), false, int32(1), "001")
	f.Fuzz(func(t *testing.T, cc int32, nn uint64, italian bool, zeros int32, region string) {
		var c validityCounts
		c.agreesWithLibrary(t, &phonenumbers.PhoneNumber{
			CountryCode:          &cc,
			NationalNumber:       &nn,
			ItalianLeadingZero:   &italian,
			NumberOfLeadingZeros: &zeros,
		}, region)
	})
}

func ptr[T any](v T) *T { return &v }
