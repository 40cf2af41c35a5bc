package flow

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/blindjoin/blindjoin/partner/keystore"
)

// resumeState is what the flow keeps next to the session key between runs:
// enough to tell that a rerun has the same input and to split it into the
// same parts.
type resumeState struct {
	Version     int    `json:"version"`
	Fingerprint string `json:"fingerprint"` // hex audience.fingerprint
	Records     int    `json:"records"`
	PartRecords int    `json:"part_records"`
}

const stateVersion = 1

// loadState returns the saved state, or nil if there is none (or it is
// from another version: the parts are then all sent again).
func (r *runner) loadState() (*resumeState, error) {
	data, err := keystore.ReadState(r.opts.KeyDir, r.opts.SessionID)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st resumeState
	if json.Unmarshal(data, &st) != nil || st.Version != stateVersion {
		return nil, nil
	}
	return &st, nil
}

// saveState records the state of an upload about to start.
func (r *runner) saveState(st resumeState) error {
	st.Version = stateVersion
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("flow: resume state: %w", err)
	}
	return keystore.WriteState(r.opts.KeyDir, r.opts.SessionID, data)
}

func (a *audience) fingerprintHex() string { return hex.EncodeToString(a.fingerprint[:]) }
