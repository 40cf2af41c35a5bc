package flow

import (
	"slices"
	"testing"
)

func TestLocaleRegions(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"LANG": "fr_FR.UTF-8"}, []string{"FR"}},
		{map[string]string{"LC_ALL": "de_at", "LANG": "fr_FR.UTF-8"}, []string{"AT"}},
		{map[string]string{"LC_MESSAGES": "C.UTF-8", "LANG": "fr_FR"}, nil}, // the first one set decides
		{map[string]string{"LANG": "es_419"}, nil},                          // not a two-letter region
		{map[string]string{}, nil},
	} {
		if got := LocaleRegions(func(k string) string { return c.env[k] }); !slices.Equal(got, c.want) {
			t.Errorf("LocaleRegions(%v) = %v, want %v", c.env, got, c.want)
		}
	}
}
