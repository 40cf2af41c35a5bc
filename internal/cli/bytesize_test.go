package cli

import "testing"

func TestByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"512MiB", 512 << 20}, {"2GiB", 2 << 30}, {"64MB", 64e6}, {"1073741824", 1 << 30}, {"1 GiB", 1 << 30},
	} {
		var b ByteSize
		if err := b.Set(tc.in); err != nil || int64(b) != tc.want {
			t.Errorf("Set(%q) = %d, %v; want %d", tc.in, b, err, tc.want)
		}
	}
	for _, in := range []string{"", "lots", "-512MiB", "16EiB", "1e400B", "512 MiB MiB", "0x20MiB", "\x00"} {
		b := ByteSize(7)
		if err := b.Set(in); err == nil {
			t.Errorf("Set(%q) accepted as %d", in, b)
		}
	}
	if b := ByteSize(512 << 20); b.String() != "512 MiB" {
		t.Errorf("String() = %q", b.String())
	}
}
