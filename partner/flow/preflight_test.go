package flow_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// TestPreflightMatchesTruth checks the preflight's row accounting against
// synth's plaintext truth, computed independently of the flow, for both
// roles: what it says would be uploaded is what a run uploads.
func TestPreflightMatchesTruth(t *testing.T) {
	cfg := synth.Config{Seed: 7, AdvertiserRows: 1500, PartnerRows: 2500, OverlapFraction: 0.4,
		Segments: []string{"loyal", "lapsed"}, MatchKey: "email"}
	data, err := synth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pol := policy.Default()
	pol.MinRows = 1000
	truth, err := data.Truth(pol)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	advIn, pubIn := filepath.Join(dir, "crm.csv"), filepath.Join(dir, "audience.csv")
	writeWith(t, advIn, data.WriteAdvertiserCSV)
	writeWith(t, pubIn, data.WritePartnerCSV)
	plan := func(role api.Role, p policy.Policy) flow.Plan {
		return flow.Plan{Role: role, MatchKey: "email", Policy: &p, Segments: cfg.Segments}
	}

	for _, tc := range []struct {
		role  api.Role
		in    string
		opts  flow.Options
		truth synth.SideTruth
	}{
		{api.RoleAdvertiser, advIn, flow.Options{Columns: data.AdvertiserColumns()}, truth.Advertiser},
		{api.RoleMediaPartner, pubIn, flow.Options{Columns: data.PartnerColumns()}, truth.Partner},
	} {
		t.Run(string(tc.role), func(t *testing.T) {
			o := tc.opts
			o.Input = tc.in
			sum, _, err := flow.Preflight(context.Background(), o, plan(tc.role, pol))
			if err != nil {
				t.Fatal(err)
			}
			if sum.Rows.Read != int64(tc.truth.Rows) || sum.Rows.Uploaded != int64(tc.truth.Counted) || sum.Rows.Rejected != sum.Rows.Read-sum.Rows.Uploaded {
				t.Errorf("rows %+v, truth read %d counted %d", sum.Rows, tc.truth.Rows, tc.truth.Counted)
			}
			var dup int64
			for reason, n := range sum.Rejected {
				if flow.KindOf(reason) == flow.RejectDuplicate {
					dup += n
				}
			}
			if dup != int64(tc.truth.Duplicate) {
				t.Errorf("duplicates %d, truth %d", dup, tc.truth.Duplicate)
			}
			if sum.PolicyHash != pol.Hash() || sum.Role != tc.role {
				t.Errorf("summary names policy %s role %s", sum.PolicyHash, sum.Role)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 2 {
				t.Errorf("the preflight wrote files: %d entries in the input directory", len(entries))
			}
		})
	}

	t.Run("too few rows", func(t *testing.T) {
		strict := pol
		strict.MinRows = 100_000
		sum, warnings, err := flow.Preflight(context.Background(), flow.Options{Input: advIn, Columns: data.AdvertiserColumns()}, plan(api.RoleAdvertiser, strict))
		if err != nil || sum.Rows.Uploaded != int64(truth.Advertiser.Counted) ||
			!slices.ContainsFunc(warnings, func(w flow.Warning) bool { return w.Kind == flow.WarnMinRows }) {
			t.Errorf("err %v, uploaded %d, warnings %v: want the summary and a min-rows warning", err, sum.Rows.Uploaded, warnings)
		}
	})
	t.Run("segments column for the partner", func(t *testing.T) {
		cols := data.PartnerColumns()
		cols.Segments = "segments"
		_, _, err := flow.Preflight(context.Background(), flow.Options{Input: pubIn, Columns: cols}, plan(api.RoleMediaPartner, pol))
		if !errors.Is(err, flow.ErrSegmentsColumn) {
			t.Errorf("err %v, want ErrSegmentsColumn", err)
		}
	})
}

func writeWith(t *testing.T, path string, write func(w io.Writer) error) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(write(f), f.Close()); err != nil {
		t.Fatal(err)
	}
}
