package transcript

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"
)

// Event types the clean room records.
const (
	TypeSessionCreated    = "session_created"
	TypeJoined            = "joined"
	TypePartUploaded      = "part_uploaded"      // side, part, digest, records
	TypeReblindedUploaded = "reblinded_uploaded" // side, part, digest, records
	TypeComputed          = "computed"           // <side>_result_commitment for each side (ResultCommitmentKey)
	TypePurged            = "purged"
	TypeExpired           = "expired"
)

// Keys of Event.Data.
const (
	KeySide    = "side"    // "advertiser" or "media_partner"
	KeyPart    = "part"    // decimal part index
	KeyDigest  = "digest"  // lowercase hex SHA-256 of the part as uploaded
	KeyRecords = "records" // decimal record count
)

// Limits on event fields.
const (
	MaxActor     = 256
	MaxName      = 64 // event types and data keys
	MaxDataPairs = 64
	MaxValue     = 1024
)

// Event is one entry of a session's transcript.
type Event struct {
	Seq   uint64    // 1 for the first event, then +1
	Time  time.Time // encoded in UTC, nanosecond precision
	Actor string    // who caused it: a party id, or the server
	Type  string    // one of the Type constants, or another [a-z0-9_] name
	Data  map[string]string
}

// Validate checks the event's fields (not its place in a chain).
func (e Event) Validate() error {
	switch {
	case e.Seq == 0:
		return fmt.Errorf("%w: seq 0", ErrEvent)
	case e.Time.UTC().Year() < 1970 || e.Time.UTC().Year() > 9999:
		return fmt.Errorf("%w: time out of range", ErrEvent)
	case !validText(e.Actor, MaxActor):
		return fmt.Errorf("%w: actor must be 1..%d printable characters", ErrEvent, MaxActor)
	case !validName(e.Type):
		return fmt.Errorf("%w: type must be 1..%d of [a-z0-9_]", ErrEvent, MaxName)
	case len(e.Data) > MaxDataPairs:
		return fmt.Errorf("%w: more than %d data entries", ErrEvent, MaxDataPairs)
	}
	for k, v := range e.Data {
		if !validName(k) {
			return fmt.Errorf("%w: data keys must be 1..%d of [a-z0-9_]", ErrEvent, MaxName)
		}
		if v != "" && !validText(v, MaxValue) {
			return fmt.Errorf("%w: data values must be up to %d printable characters", ErrEvent, MaxValue)
		}
	}
	return nil
}

// validName reports whether s is 1..MaxName characters of [a-z0-9_].
func validName(s string) bool {
	if len(s) == 0 || len(s) > MaxName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// validText reports whether s is 1..max bytes of valid UTF-8 without
// control characters (so that it prints on one line in logs and reports).
func validText(s string, max int) bool {
	if len(s) == 0 || len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// appendCanonical appends canonical(e) (see the package documentation).
func appendCanonical(b []byte, e Event) []byte {
	t := e.Time.UTC()
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(t.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(t.Nanosecond()))
	b = appendString(b, e.Actor)
	b = appendString(b, e.Type)
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.Data)))
	for _, k := range slices.Sorted(maps.Keys(e.Data)) {
		b = appendString(b, k)
		b = appendString(b, e.Data[k])
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// eventJSON is the JSON form of an Event; Time is kept as text so that
// only its canonical spelling is accepted.
type eventJSON struct {
	Seq   uint64            `json:"seq"`
	Time  string            `json:"time"`
	Actor string            `json:"actor"`
	Type  string            `json:"type"`
	Data  map[string]string `json:"data"`
}

// MarshalJSON writes the event with its time in UTC and "data" always an
// object.
func (e Event) MarshalJSON() ([]byte, error) {
	data := e.Data
	if data == nil {
		data = map[string]string{}
	}
	return json.Marshal(eventJSON{e.Seq, formatTime(e.Time), e.Actor, e.Type, data})
}

// UnmarshalJSON reads an event, accepting only the canonical time spelling.
func (e *Event) UnmarshalJSON(b []byte) error {
	var j eventJSON
	if err := strictUnmarshal(b, &j); err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339Nano, j.Time)
	if err != nil || formatTime(t) != j.Time {
		return fmt.Errorf("%w: time is not RFC 3339 in UTC with a minimal fraction", ErrEvent)
	}
	*e = Event{Seq: j.Seq, Time: t.UTC(), Actor: j.Actor, Type: j.Type, Data: j.Data}
	return nil
}

func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}
