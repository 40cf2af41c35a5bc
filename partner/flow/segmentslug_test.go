package flow

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/protocol/policy"
)

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Nouveau client":     "nouveau_client",
		"Fidèle":             "fidele",
		"Fide\u0300le":       "fidele", // decomposed
		"  Très -- Actif  ":  "tres_actif",
		"high_value":         "high_value",
		"Client VIP (2024)":  "client_vip_2024",
		"Ægir":               "gir", // not decomposable: dropped, never guessed
		"北京":                 "",
		"already.named-2024": "already_named_2024",
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
		if got := Slug(in); got != "" && !policy.ValidSegmentName(got) {
			t.Errorf("Slug(%q) = %q is not a segment name", in, got)
		}
	}
}

func TestLinesWaiting(t *testing.T) {
	var b bytes.Buffer
	now := time.Unix(0, 0)
	l := NewLines(&b, 5*time.Second, func() time.Time { return now })
	l.Waiting("waiting for news to join", 0)
	now = now.Add(2 * time.Second)
	l.Waiting("waiting for news to join", 2*time.Second) // within the interval: silent
	now = now.Add(4 * time.Second)
	l.Waiting("waiting for news to join", 6*time.Second)
	now = now.Add(time.Second)
	l.Waiting("waiting for news's upload (12 records so far)", 7*time.Second) // new wording: at once
	want := "waiting for news to join (0:00)\nwaiting for news to join (0:06)\nwaiting for news's upload (12 records so far) (0:07)\n"
	if b.String() != want {
		t.Errorf("lines:\n%s\nwant:\n%s", b.String(), want)
	}
	var bar bytes.Buffer
	br := NewBar(&bar, 80, func() time.Time { return now })
	br.Waiting("waiting for news to join", 74*time.Second)
	br.Waited()
	if got := bar.String(); !strings.Contains(got, "\rwaiting for news to join (1:14)\x1b[K\n") {
		t.Errorf("bar: %q", got)
	}
}
