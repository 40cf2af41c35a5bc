package tcf

import (
	"errors"
	"strings"
	"testing"
)

// hostileCases are inputs Decode must reject, each with the DecodeError.Field
// it must name. Most are the builder's valid core with one field broken.
func hostileCases() []struct{ name, input, field string } {
	valid := newCore().encode()
	core := func(f func(*coreSpec)) string {
		c := newCore()
		f(&c)
		return c.encode()
	}
	pub := segment(3, publisherTC(nil, nil, 0, nil, nil))
	disclosed := segment(1, bitField(3, 1))
	return []struct{ name, input, field string }{
		{"empty", "", "TCString"},
		{"too long", valid + "." + strings.Repeat("A", MaxLength), "TCString"},
		{"five segments", valid + "." + pub + "." + disclosed + "." + pub + "." + pub, "TCString"},
		{"only a dot", ".", "Core"},
		{"empty core", "." + pub, "Core"},
		{"empty trailing segment", valid + ".", "Segment2"},
		{"empty middle segment", valid + ".." + pub, "Segment2"},
		{"base64 padding", valid + "==", "Core"},
		{"standard base64 plus", "C+" + valid[2:], "Core"},
		{"standard base64 slash", valid[:10] + "/" + valid[11:], "Core"},
		{"leading space", " " + valid, "Core"},
		{"trailing newline", valid + "\n", "Core"},
		{"NUL byte", valid[:5] + "\x00" + valid[6:], "Core"},
		{"non-ASCII", valid[:5] + "é" + valid[7:], "Core"},
		{"version 1", core(func(c *coreSpec) { c.version = 1 }), "Core.Version"},
		{"version 0", core(func(c *coreSpec) { c.version = 0 }), "Core.Version"},
		{"version 3", core(func(c *coreSpec) { c.version = 3 }), "Core.Version"},
		{"TCF v1 string", "BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA", "Core.Version"},
		{"one character", "C", "Core.Created"},
		{"truncated core", valid[:20], "Core.VendorListVersion"},
		{"language letter 26", core(func(c *coreSpec) { c.language[1] = 26 }), "Core.ConsentLanguage"},
		{"publisher CC letter 63", core(func(c *coreSpec) { c.cc[0] = 63 }), "Core.PublisherCC"},
		{"bit field shorter than MaxVendorId", core(func(c *coreSpec) {
			c.vendorConsents, c.vendorLI, c.restrictions = raw(17, 2000<<1), nil, nil
		}), "VendorConsents.BitField"},
		{"no vendor LI section", core(func(c *coreSpec) { c.vendorLI, c.restrictions = nil, nil }), "VendorLegitimateInterests.MaxVendorId"},
		{"no NumPubRestrictions", core(func(c *coreSpec) { c.restrictions = nil }), "PublisherRestrictions.NumPubRestrictions"},
		{"range end below start", core(func(c *coreSpec) { c.vendorConsents = ranges(90, entry{50, 49}) }), "VendorConsents.EndVendorId"},
		{"range start 0", core(func(c *coreSpec) { c.vendorConsents = ranges(90, entry{0, 5}) }), "VendorConsents.StartOrOnlyVendorId"},
		{"single id 0", core(func(c *coreSpec) { c.vendorLI = ranges(90, entry{0, 0}) }), "VendorLegitimateInterests.StartOrOnlyVendorId"},
		{"single id above MaxVendorId", core(func(c *coreSpec) { c.vendorLI = ranges(90, entry{91, 0}) }), "VendorLegitimateInterests.StartOrOnlyVendorId"},
		{"range end above MaxVendorId", core(func(c *coreSpec) { c.vendorConsents = ranges(90, entry{80, 91}) }), "VendorConsents.EndVendorId"},
		{"range start above MaxVendorId", core(func(c *coreSpec) { c.vendorConsents = ranges(90, entry{91, 95}) }), "VendorConsents.StartOrOnlyVendorId"},
		{"ranges with MaxVendorId 0", core(func(c *coreSpec) { c.vendorConsents = ranges(0, entry{1, 0}) }), "VendorConsents.StartOrOnlyVendorId"},
		{"4095 range entries, none present", core(func(c *coreSpec) {
			c.vendorConsents, c.vendorLI, c.restrictions = raw(29, 100<<13|1<<12|4095), nil, nil
		}), "VendorConsents.StartOrOnlyVendorId"},
		{"restriction purpose 0", core(func(c *coreSpec) { c.restrictions = restrictions(restriction{0, 0, nil}) }), "PublisherRestrictions.PurposeId"},
		{"restriction purpose 25", core(func(c *coreSpec) { c.restrictions = restrictions(restriction{25, 1, nil}) }), "PublisherRestrictions.PurposeId"},
		{"restriction type 3", core(func(c *coreSpec) { c.restrictions = restrictions(restriction{2, 3, nil}) }), "PublisherRestrictions.RestrictionType"},
		{"restriction range end below start", core(func(c *coreSpec) {
			c.restrictions = restrictions(restriction{2, 1, []entry{{9, 8}}})
		}), "PublisherRestrictions.EndVendorId"},
		{"restriction vendor 0", core(func(c *coreSpec) { c.restrictions = restrictions(restriction{2, 1, []entry{{0, 0}}}) }), "PublisherRestrictions.StartOrOnlyVendorId"},
		{"restrictions announced, none present", core(func(c *coreSpec) { c.restrictions = raw(12, 3) }), "PublisherRestrictions.PurposeId"},
		{"one bit after the core", core(func(c *coreSpec) { c.trailer = raw(30, 1) }), "Core.padding"},
		{"garbage far after the core", core(func(c *coreSpec) { c.trailer = raw(64, 0) }) + "AAAAAAAAAAAAB", "Core.padding"},
		{"core type in second segment", valid + "." + valid, "Segment2.SegmentType"},
		{"unknown segment type 4", valid + "." + segment(4, raw(20, 0)), "Segment2.SegmentType"},
		{"unknown segment type 7", valid + "." + pub + "." + segment(7, raw(20, 0)), "Segment3.SegmentType"},
		{"repeated DisclosedVendors", valid + "." + disclosed + "." + disclosed, "Segment3.SegmentType"},
		{"repeated AllowedVendors", valid + "." + segment(2, bitField(0)) + "." + segment(2, bitField(0)), "Segment3.SegmentType"},
		{"repeated PublisherTC", valid + "." + pub + "." + pub, "Segment3.SegmentType"},
		// The IAB spec's OOB example 3 repeats DisclosedVendors; @iabtcf/core
		// keeps whichever comes last, we refuse to guess.
		{"IAB example with a repeated segment", "COvFyGBOvFyGBAbAAAENAPCAAOAAAAAAAAAAAEEUACCKAAA.IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw.PVAfDObdrA", "Segment3.SegmentType"},
		{"disclosed vendors truncated", valid + "." + segment(1, raw(16, 500)), "DisclosedVendors.BitField"},
		{"disclosed vendor above MaxVendorId", valid + "." + segment(1, ranges(5, entry{6, 0})), "DisclosedVendors.StartOrOnlyVendorId"},
		{"allowed vendors range end below start", valid + "." + segment(2, ranges(9, entry{4, 2})), "AllowedVendors.EndVendorId"},
		{"allowed vendors trailing one", valid + "." + segment(2, bitField(2), raw(9, 1)), "AllowedVendors.padding"},
		{"publisher TC custom purposes missing", valid + "." + segment(3, raw(54, 63)), "PublisherTC.CustomPurposesConsent"},
		{"publisher TC truncated", valid + "." + segment(3, raw(30, 0)), "PublisherTC.PubPurposesLITransparency"},
		{"publisher TC trailing one", valid + "." + segment(3, publisherTC(nil, nil, 2, nil, nil), raw(7, 1)), "PublisherTC.padding"},
	}
}

func TestDecodeRejectsHostileInput(t *testing.T) {
	for _, tt := range hostileCases() {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.input)
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			if got != nil {
				t.Errorf("returned a result with the error")
			}
			checkDecodeError(t, err, tt.input, 8)
			var de *DecodeError
			errors.As(err, &de)
			if de.Field != tt.field {
				t.Errorf("Field = %q (%v), want %q", de.Field, err, tt.field)
			}
		})
	}
}

// checkDecodeError asserts the error contract: a *DecodeError wrapping
// ErrMalformed, whose message holds no window of window characters of the
// input.
func checkDecodeError(t *testing.T, err error, input string, window int) {
	t.Helper()
	var de *DecodeError
	if !errors.Is(err, ErrMalformed) || !errors.As(err, &de) || de.Reason == "" {
		t.Fatalf("error %v (%T) is not a *DecodeError wrapping ErrMalformed", err, err)
	}
	msg := err.Error()
	for _, seg := range strings.Split(input, ".") {
		// Messages are made of field names and words, which an input may
		// contain too: a window long enough cannot match one by chance.
		for i := 0; i+window <= len(seg); i++ {
			if strings.Contains(msg, seg[i:i+window]) {
				t.Fatalf("error message %q echoes the input", msg)
			}
		}
	}
}
