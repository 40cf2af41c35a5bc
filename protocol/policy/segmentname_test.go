package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckSegmentNameRefusesIdentifiers(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "must be 1..64"},
		{"too long", strings.Repeat("a", 65), "must be 1..64"},
		{"space", "high value", "must be 1..64"},
		{"e-mail", "jane.doe@example.com", "must be 1..64"},
		{"E.164 phone", "+33612345678", "must be 1..64"},
		{"padded base64 SHA-256", "tMmiiTI7IaAeHD6UDxVeuMVCWH8avRjeHMwf/F5HVRQ=", "must be 1..64"},
		{"unicode", "caf\u00e9", "must be 1..64"},
		{"NUL", "a\x00b", "must be 1..64"},
		{"SHA-256 hex", "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514", "hex"},
		{"SHA-256 hex upper case", "B4C9A289323B21A01C3E940F150EB9B8C542587F1ABFD8F0E1CC1FFC5E475514", "hex"},
		{"MD5 hex", "1f3870be274f6c49b3e31a0c6728957f", "hex"},
		{"16 hex digits in a name", "seg_1f3870be274f6c49", "hex"},
		{"unpadded base64url SHA-256", "tMmiiTI7IaAeHD6UDxVeuMVCWH8avRjeHMwf_F5HVRQ", "base64"},
		{"base64url with a dash", "tMmiiTI7IaAeHD6U-xVeuM", "base64"},
		{"base64 of 16 bytes", "q2RkN3Zrc1dPa0F4Yz9Z", "base64"},
		{"UUID", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "UUID"},
		{"UUID upper case in a name", "maid_6BA7B810-9DAD-11D1-80B4-00C04FD430C8", "UUID"},
		{"UUID without dashes", "6ba7b8109dad11d180b400c04fd430c8", "hex"},
		{"national phone", "0612345678", "phone"},
		{"E.164 without plus", "33612345678", "phone"},
		{"phone in a name", "tel_33612345678_buyers", "phone"},
		{"dotted phone", "06.12.34.56.78", "phone"},
		{"dashed phone", "555-123-4567", "phone"},
		{"customer number", "1234567", "phone"},
		{"date only", "20240115", "phone"},
		{"mixed-case base64-like name", "HighValueCustomers2024", "base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSegmentName(tc.in)
			if !errors.Is(err, ErrSegmentName) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckSegmentName = %v, want an ErrSegmentName mentioning %q", err, tc.want)
			}
			if ValidSegmentName(tc.in) {
				t.Error("ValidSegmentName accepts it")
			}
			if len(tc.in) >= 4 && strings.Contains(err.Error(), tc.in) {
				t.Errorf("the error quotes the name: %v", err)
			}
		})
	}
}

func TestCheckSegmentNameAcceptsLabels(t *testing.T) {
	for _, name := range []string{
		"a", "churn_risk", "new_customers", "high_value", "high_value_2024", "luxury",
		"q3-buyers", "tier.gold", "Sports", "HighValue", "high_value_customers_2024_q3",
		"cohort_20240115", "buyers_2024-01-15", "age_25-34", "top_100000",
		"deadbeef", "cafe_decade_faced", "ChurnRiskHighValueApp", "iPhone15Owners",
		"accessories_and_decor", "v1.2.3", "B2B", "segment_abcdef0123456",
		strings.Repeat("abcdefghij", 6) + "abcd",
	} {
		if err := CheckSegmentName(name); err != nil {
			t.Errorf("CheckSegmentName(%q) = %v", name, err)
		}
	}
}

func TestActivationSegmentsUseTheRule(t *testing.T) {
	_, err := Parse([]byte(`{"activation_segments": ["churn_risk", "b4c9a289323b21a01c3e940f150eb9b8"]}`))
	var pe *Error
	if !errors.As(err, &pe) || pe.Field != "activation_segments[1]" || !strings.Contains(pe.Reason, "hex") {
		t.Fatalf("Parse = %v", err)
	}
}

func FuzzCheckSegmentName(f *testing.F) {
	for _, s := range []string{"churn_risk", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "0612345678", "tMmiiTI7IaAeHD6UDxVeuM", "", "a-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := CheckSegmentName(name)
		if err == nil {
			if len(name) == 0 || len(name) > MaxSegmentName || longestRun(name, isHex) >= minHexRun || longestRun(name, isDigit) >= minDigitRun {
				t.Fatalf("accepted %q", name)
			}
			for i := 0; i < len(name); i++ {
				if !segmentNameChar(name[i]) {
					t.Fatalf("accepted %q", name)
				}
			}
			return
		}
		if !errors.Is(err, ErrSegmentName) {
			t.Fatalf("error %v does not wrap ErrSegmentName", err)
		}
		if len(name) >= 4 && strings.Contains(err.Error(), name) {
			t.Fatalf("the error quotes the name: %v", err)
		}
	})
}
