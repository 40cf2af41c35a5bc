package synth

import (
	"encoding/csv"
	"fmt"
	"io"
	"iter"

	"github.com/blindjoin/blindjoin/partner/csvin"
)

// The files are RFC 4180 (CRLF line ends, quoting as needed, which keeps
// the blanks around a sloppy identifier) with a header row. The partner's
// file starts with its own account id, a column the tool must be told to
// skip by naming the identifier column.

// AdvertiserColumns names the columns of the advertiser's file, e.g.
// email, segments, consent.
func (d *Dataset) AdvertiserColumns() csvin.Columns {
	return csvin.Columns{ID: string(d.cfg.MatchKey), Segments: "segments", Consent: "consent"}
}

// PartnerColumns names the columns the tool reads in the partner's file,
// e.g. user_email and consent (the file also has user_id first).
func (d *Dataset) PartnerColumns() csvin.Columns {
	return csvin.Columns{ID: "user_" + string(d.cfg.MatchKey), Consent: "consent"}
}

// partnerAccountColumn is the partner file's first column.
const partnerAccountColumn = "user_id"

// WriteAdvertiserCSV writes the advertiser's file to w, streaming.
func (d *Dataset) WriteAdvertiserCSV(w io.Writer) error {
	return d.WriteAdvertiserRows(w, d.Advertiser())
}

// WritePartnerCSV writes the media partner's file to w, streaming.
func (d *Dataset) WritePartnerCSV(w io.Writer) error {
	return d.WritePartnerRows(w, d.Partner())
}

// WriteAdvertiserRows writes rows, the dataset's advertiser rows or a
// variant of them (the bench replaces every consent cell), as the
// advertiser's file.
func (d *Dataset) WriteAdvertiserRows(w io.Writer, rows iter.Seq[AdvertiserRow]) error {
	c := d.AdvertiserColumns()
	return writeCSV(w, []string{c.ID, c.Segments, c.Consent}, rows, func(r AdvertiserRow, rec []string) {
		rec[0], rec[1], rec[2] = r.ID, r.Segments, r.Consent
	})
}

// WritePartnerRows writes rows as the media partner's file.
func (d *Dataset) WritePartnerRows(w io.Writer, rows iter.Seq[PartnerRow]) error {
	c := d.PartnerColumns()
	return writeCSV(w, []string{partnerAccountColumn, c.ID, c.Consent}, rows, func(r PartnerRow, rec []string) {
		rec[0], rec[1], rec[2] = r.UserID, r.ID, r.Consent
	})
}

func writeCSV[R any](w io.Writer, header []string, rows iter.Seq[R], fill func(R, []string)) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("synth: write CSV: %w", err)
	}
	rec := make([]string, len(header))
	for r := range rows {
		fill(r, rec)
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("synth: write CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("synth: write CSV: %w", err)
	}
	return nil
}
