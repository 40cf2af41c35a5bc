package consent

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParsePurposeList(t *testing.T) {
	tests := []struct {
		list          string
		consents, lis []int
	}{
		{"7", []int{7}, nil},
		{"1;3;4;7", []int{1, 3, 4, 7}, nil},
		{" 1 ;\t3;4 ; 7\t", []int{1, 3, 4, 7}, nil},
		{"9;9;9", []int{9}, nil},
		{"24;1", []int{1, 24}, nil},
		{"1;li:7;li:9;7", []int{1, 7}, []int{7, 9}},
		{"li:2;li:7;li:8;li:9;li:10;li:11;li:24", nil, []int{2, 7, 8, 9, 10, 11, 24}},
	}
	for _, tt := range tests {
		consents, lis, err := ParsePurposeList(tt.list)
		if err != nil {
			t.Errorf("%q: %v", tt.list, err)
			continue
		}
		if !slices.Equal(consents.IDs(), orEmpty(tt.consents)) || !slices.Equal(lis.IDs(), orEmpty(tt.lis)) {
			t.Errorf("%q: consents %v LI %v, want %v %v", tt.list, consents.IDs(), lis.IDs(), tt.consents, tt.lis)
		}
	}
}

func orEmpty(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

// Inputs that must not grant anything.
var hostileLists = []string{
	"", ";", "1;", ";1", "1;;3", "0", "25", "99", "100", "007", "07", "+7", "-7", "7.0", "1,3", "1 3",
	"li:", "li:0", "li:25", "li: 7", "LI:7", "li:li:7", "li7", "l:7", "i:7",
	"li:1", "li:3", "li:4", "li:5", "li:6", "1;li:3",
	"7\x00", "7;é", "１", "18446744073709551623", "4294967303",
}

func TestParsePurposeListRejects(t *testing.T) {
	for _, list := range hostileLists {
		consents, lis, err := ParsePurposeList(list)
		if !errors.Is(err, ErrInvalidList) {
			t.Errorf("%q: err = %v, consents %v LI %v", list, err, consents.IDs(), lis.IDs())
			continue
		}
		if consents != 0 || lis != 0 {
			t.Errorf("%q: flags returned with an error", list)
		}
		if len(list) >= 3 && strings.Contains(err.Error(), list) {
			t.Errorf("%q: error %q echoes the list", list, err)
		}
	}
}
