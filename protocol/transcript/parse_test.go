package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseTranscriptHostile(t *testing.T) {
	good := string(marshal(t, seal(t, "s-1", katEvents())))
	// replace edits the good document; each edit must be refused.
	replace := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("test bug: %q not in %s", old, good)
		}
		return strings.Replace(good, old, new, 1)
	}
	// after replaces n bytes that follow marker.
	after := func(marker string, n int, new string) string {
		i := strings.Index(good, marker)
		if i < 0 {
			t.Fatalf("test bug: %q not in %s", marker, good)
		}
		i += len(marker)
		return good[:i] + new + good[i+n:]
	}
	tests := map[string]struct {
		doc  string
		want error
	}{
		"empty":                  {``, ErrSyntax},
		"null":                   {`null`, ErrSyntax},
		"array":                  {`[]`, ErrSyntax},
		"truncated":              {good[:len(good)-1], ErrSyntax},
		"trailing value":         {good + `{}`, ErrSyntax},
		"trailing garbage":       {good + `x`, ErrSyntax},
		"unknown top field":      {replace(`{"session_id"`, `{"extra":1,"session_id"`), ErrSyntax},
		"unknown event field":    {replace(`{"seq":1,`, `{"seq":1,"note":"x",`), ErrSyntax},
		"unknown head field":     {replace(`"key_id"`, `"alg":"ed25519","key_id"`), ErrSyntax},
		"duplicate key":          {replace(`{"seq":1,`, `{"seq":1,"seq":1,`), ErrSyntax},
		"duplicate data key":     {replace(`"digest":`, `"part":"9","digest":`), ErrSyntax},
		"uppercase key":          {replace(`"seq":1`, `"SEQ":1`), ErrSyntax},
		"kelvin sign key":        {replace(`"key_id"`, `"\u212aey_id"`), ErrSyntax},
		"null data":              {replace(`"data":{}`, `"data":null`), ErrSyntax},
		"null events":            {replace(`"events":[`, `"events":null,"x":[`), ErrSyntax},
		"deep nesting":           {strings.Repeat(`{"a":`, 20) + `1` + strings.Repeat(`}`, 20), ErrSyntax},
		"seq string":             {replace(`"seq":1`, `"seq":"1"`), ErrSyntax},
		"seq negative":           {replace(`"seq":1`, `"seq":-1`), ErrSyntax},
		"seq float":              {replace(`"seq":1`, `"seq":1.0`), ErrSyntax},
		"data value number":      {replace(`"records":"1000"`, `"records":1000`), ErrSyntax},
		"time with offset":       {replace(`12:00:00Z`, `14:00:00+02:00`), ErrEvent},
		"time trailing zero":     {replace(`12:00:01.5Z`, `12:00:01.50Z`), ErrEvent},
		"time lowercase z":       {replace(`12:00:00Z`, `12:00:00z`), ErrEvent},
		"time date only":         {replace(`2025-06-01T12:00:00Z`, `2025-06-01`), ErrEvent},
		"time empty":             {replace(`2025-06-01T12:00:00Z`, ``), ErrEvent},
		"event seq 0":            {replace(`"seq":1`, `"seq":0`), ErrEvent},
		"actor control":          {replace(`"actor":"adv"`, `"actor":"a\u0007v"`), ErrEvent},
		"type uppercase":         {replace(`"session_created"`, `"Session_created"`), ErrEvent},
		"hash uppercase":         {after(`"hash":"`, 64, strings.ToUpper(good[strings.Index(good, `"hash":"`)+8:][:64])), ErrHead},
		"hash short":             {after(`"hash":"`, 2, ""), ErrHead},
		"hash long":              {after(`"hash":"`, 0, "00"), ErrHead},
		"signature not hex":      {after(`"signature":"`, 2, "zz"), ErrHead},
		"signature base64":       {after(`"signature":"`, 128, strings.Repeat("A", 86)+"=="), ErrHead},
		"signature short":        {after(`"signature":"`, 2, ""), ErrHead},
		"empty key id":           {replace(`"key_id":"k1"`, `"key_id":""`), ErrHead},
		"session id space":       {strings.ReplaceAll(good, `"s-1"`, `"s 1"`), ErrSession},
		"head of other session":  {strings.Replace(good, `"session_id":"s-1","seq"`, `"session_id":"s-2","seq"`, 1), ErrSession},
		"no events":              {replace(good[strings.Index(good, `[`):strings.LastIndex(good, `]`)+1], `[]`), ErrEmpty},
		"oversized":              {`{"session_id":"` + strings.Repeat("a", MaxSize) + `"}`, ErrTooLarge},
		"invalid utf8 in string": {replace(`"actor":"adv"`, "\"actor\":\"a\xffv\""), ErrSyntax},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseTranscript([]byte(tc.doc))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "adv") || strings.Contains(err.Error(), "abab") {
				t.Errorf("error quotes the input: %v", err)
			}
		})
	}
}

func FuzzParseTranscript(f *testing.F) {
	kat, err := Seal(testKey(), "k1", "sess-0001", katEvents())
	if err != nil {
		f.Fatal(err)
	}
	full, err := Seal(testKey(), "k1", "6f1c2a9e-sess", sessionEvents())
	if err != nil {
		f.Fatal(err)
	}
	for _, tr := range []Transcript{kat, full} {
		b, _ := json.Marshal(tr)
		f.Add(b)
	}
	f.Add([]byte(`{"session_id":"s","events":[],"head":{}}`))
	f.Add([]byte(`{"session_id":"s","events":[{"seq":1,"time":"2025-06-01T12:00:00Z","actor":"a","type":"t","data":{"k":"v"}}],` +
		`"head":{"session_id":"s","seq":1,"hash":"` + strings.Repeat("0", 64) + `","key_id":"k","signature":"` + strings.Repeat("0", 128) + `"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ParseTranscript(data)
		if err != nil {
			return
		}
		// Whatever parses re-encodes to a document that parses to the same
		// transcript, and Verify never panics on it.
		b, err := json.Marshal(tr)
		if err != nil {
			t.Fatalf("parsed transcript does not marshal: %v", err)
		}
		again, err := ParseTranscript(b)
		if err != nil || !sameTranscript(tr, again) {
			t.Fatalf("re-encoding changes the transcript: %v\n%s", err, b)
		}
		if err := Verify(tr, testPub()); err == nil && !bytes.Equal(tr.Head.Signature, kat.Head.Signature) && !bytes.Equal(tr.Head.Signature, full.Head.Signature) {
			t.Fatalf("fuzzer forged a signature:\n%s", data)
		}
		_ = tr.PartDigests()
	})
}
