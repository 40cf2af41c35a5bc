package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// MaxSize is the largest policy document Parse accepts.
const MaxSize = 64 << 10

// ParseHashed parses a policy as Parse does and also requires its canonical
// hash to be hash: what a party does with a session's policy, so that the
// rules it applies are the ones it accepted (or the server named).
func ParseHashed(data []byte, hash string) (Policy, error) {
	p, err := Parse(data)
	if err != nil {
		return p, err
	}
	if p.Hash() != hash {
		return p, ErrHash
	}
	return p, nil
}

// Parse decodes a policy document, fills absent fields with their defaults
// and validates the result. Any error is an *Error.
func Parse(data []byte) (Policy, error) {
	if len(data) > MaxSize {
		return Policy{}, &Error{"", "document larger than 64 KiB"}
	}
	p := Default()
	err := decodeObject(data, "", func(key string, raw []byte) error {
		switch key {
		case "min_rows":
			return decodeValue(raw, key, "an integer", &p.MinRows)
		case "k":
			return decodeValue(raw, key, "an integer", &p.K)
		case "count_purposes":
			return decodeRule(raw, key, &p.CountPurposes)
		case "activation_purposes":
			return decodeRule(raw, key, &p.ActivationPurposes)
		case "activation_segments":
			return decodeValue(raw, key, "an array of strings", &p.ActivationSegments)
		case "rate_granularity":
			return decodeValue(raw, key, "a string", &p.RateGranularity)
		case "dp":
			// null is how the canonical form says "no noise".
			if bytes.Equal(raw, []byte("null")) {
				p.DP = nil
				return nil
			}
			p.DP = &DP{}
			return decodeDP(raw, key, p.DP)
		case "vendor_ids":
			return decodeValue(raw, key, "an array of integers", &p.VendorIDs)
		case "retention_days":
			return decodeValue(raw, key, "an integer", &p.RetentionDays)
		case "match_keys":
			return decodeValue(raw, key, "an array of strings", &p.MatchKeys)
		case "duplicates":
			return decodeValue(raw, key, "a string", &p.Duplicates)
		case "conflicts":
			return decodeValue(raw, key, "a string", &p.Conflicts)
		}
		return errUnknownField("", key)
	})
	if err != nil {
		return Policy{}, err
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// UnmarshalJSON makes a Policy embedded in a larger JSON document go through
// Parse.
func (p *Policy) UnmarshalJSON(data []byte) error {
	q, err := Parse(data)
	if err != nil {
		return err
	}
	*p = q
	return nil
}

func decodeRule(raw []byte, field string, r *Rule) error {
	*r = Rule{}
	err := decodeObject(raw, field, func(key string, raw []byte) error {
		switch key {
		case "any_of":
			return decodeValue(raw, field+".any_of", "an array of integers", &r.AnyOf)
		case "all_of":
			return decodeValue(raw, field+".all_of", "an array of integers", &r.AllOf)
		}
		return errUnknownField(field, key)
	})
	if err != nil {
		return err
	}
	// An empty list would otherwise read as "absent" in Validate.
	if (r.AnyOf != nil && len(r.AnyOf) == 0) || (r.AllOf != nil && len(r.AllOf) == 0) {
		return &Error{field, "purpose list must not be empty"}
	}
	return nil
}

func decodeDP(raw []byte, field string, dp *DP) error {
	seen := false
	err := decodeObject(raw, field, func(key string, raw []byte) error {
		if key != "epsilon" {
			return errUnknownField(field, key)
		}
		seen = true
		return decodeValue(raw, field+".epsilon", "a number", &dp.Epsilon)
	})
	if err == nil && !seen {
		err = &Error{field + ".epsilon", "is required"}
	}
	return err
}

// decodeObject reads one JSON object from data, with nothing after it, and
// calls fn for each member in order; field is the object's path for error
// messages. Duplicate keys are refused: JSON parsers disagree on which
// duplicate wins, and a reviewer could read a different policy from the one
// that is enforced. Keys match exactly (encoding/json would also accept
// "K" for "k").
func decodeObject(data []byte, field string, fn func(key string, raw []byte) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return &Error{field, "must be a JSON object"}
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			return &Error{field, "is not valid JSON"}
		}
		if seen[key] {
			return &Error{member(field, quoteKey(key)), "duplicate field"}
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return &Error{field, "is not valid JSON"}
		}
		if err := fn(key, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return &Error{field, "is not valid JSON"}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &Error{field, "has data after the JSON object"}
	}
	return nil
}

// member is the path of key inside the object at path field.
func member(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// decodeValue decodes one non-null JSON value into v.
func decodeValue(raw []byte, field, want string, v any) error {
	if bytes.Equal(raw, []byte("null")) {
		return &Error{field, "must not be null"}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return &Error{field, "must be " + want}
	}
	return nil
}

func errUnknownField(field, key string) error {
	return &Error{member(field, quoteKey(key)), "unknown field"}
}

// maxKeyShown bounds the length of a key quoted in an error.
const maxKeyShown = 32

// quoteKey makes an input key safe to show in an error, which the clean
// room returns to the client and writes to its log: a key shaped like a
// policy field name (lowercase ASCII letters and underscores) is quoted;
// any other key could be an identifier, a consent string or an API key
// pasted in the wrong place, and is shown as "?".
func quoteKey(key string) string {
	if key == "" || len(key) > maxKeyShown {
		return "?"
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; (c < 'a' || c > 'z') && c != '_' {
			return "?"
		}
	}
	return strconv.Quote(key)
}
