package synth

import (
	"iter"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Dataset is a planned pair of synthetic audiences. It holds no rows:
// Advertiser and Partner generate them afresh on each call, identical
// every time, so a million-row side costs no memory to write.
type Dataset struct {
	cfg          Config
	adv, partner sideParams
	layout       layout
	ids          *identities
	cmp          *cmp
}

// New plans the dataset described by cfg, or reports a field out of range
// as an error wrapping ErrConfig.
func New(cfg Config) (*Dataset, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.Segments = slices.Clone(cfg.Segments)
	c, err := newCMP(newStream(cfg.Seed, "cmp"))
	if err != nil {
		return nil, err
	}
	d := &Dataset{
		cfg:     cfg,
		adv:     advertiserParams(cfg.AdvertiserRows),
		partner: partnerParams(cfg.PartnerRows),
		cmp:     c,
	}
	d.layout = newLayout(cfg.Seed, d.adv, d.partner, cfg.OverlapFraction)
	d.ids = newIdentities(cfg.Seed, cfg.MatchKey, d.layout.maxIdentity())
	return d, nil
}

// Config returns the configuration the dataset was planned from.
func (d *Dataset) Config() Config {
	c := d.cfg
	c.Segments = slices.Clone(c.Segments)
	return c
}

// AdvertiserRow is one data row of the advertiser's file, each cell as
// written in it.
type AdvertiserRow struct {
	ID       string // the identifier, as a CRM export has it (case, blanks, gmail dots and tags)
	Segments string // segment labels separated by ';', possibly empty
	Consent  string // a TC string, a purpose list, or empty
	intent   intent
}

// PartnerRow is one data row of the media partner's file.
type PartnerRow struct {
	UserID  string // the partner's own account id, which the tool does not read
	ID      string // the identifier, normalized as the partner stores it
	Consent string // a TC string, a purpose list, or empty
	intent  intent
}

// intent is what the generator meant a row to be. The truth never reads
// it: the package's tests compare the truth, derived from the cells, with
// what the intents imply.
type intent struct {
	identity int // -1 for an invalid identifier
	form     cellForm
	profile  *profile // nil when the cell carries no consent
	tc       *TC      // the fields of a valid TC string
	segments uint64   // bit j: Config.Segments[j]
}

// Advertiser yields the advertiser's rows in file order.
func (d *Dataset) Advertiser() iter.Seq[AdvertiserRow] {
	return func(yield func(AdvertiserRow) bool) {
		g := d.newSide(&d.adv, d.layout.advPeople, func(i int) int { return i })
		segs := newSegmentDrawer(d.cfg.Segments)
		for range d.adv.rows {
			var row AdvertiserRow
			identity := g.nextIdentity()
			row.ID = g.identifier(identity, false)
			row.Consent, row.intent.form, row.intent.profile, row.intent.tc = d.cmp.consentCell(g.rows)
			row.Segments, row.intent.segments = segs.draw(g.rows)
			row.intent.identity = identity
			if !yield(row) {
				return
			}
		}
	}
}

// Partner yields the media partner's rows in file order.
func (d *Dataset) Partner() iter.Seq[PartnerRow] {
	return func(yield func(PartnerRow) bool) {
		g := d.newSide(&d.partner, d.layout.partnerPeople, d.layout.partnerPerson)
		for range d.partner.rows {
			var row PartnerRow
			identity := g.nextIdentity()
			row.UserID = "usr_" + strconv.FormatUint(g.rows.Uint64N(1<<40)|1<<40, 16)[1:] // 10 hex digits
			row.ID = g.identifier(identity, true)
			row.Consent, row.intent.form, row.intent.profile, row.intent.tc = d.cmp.consentCell(g.rows)
			row.intent.identity = identity
			if !yield(row) {
				return
			}
		}
	}
}

// side replays one side's events and hands out its identities.
type side struct {
	params  *sideParams
	events  *rand.Rand // the plan (plan.go)
	rows    *rand.Rand // everything else about a row
	order   affine     // the order people are visited in
	person  func(i int) int
	ids     *identities
	visited int
	recent  [64]int // the identities of the last rows, for duplicates and personas
	written int     // rows with a valid identifier so far
}

func (d *Dataset) newSide(p *sideParams, people int, person func(int) int) *side {
	return &side{
		params: p,
		events: newStream(d.cfg.Seed, p.label+"/events"),
		rows:   newStream(d.cfg.Seed, p.label+"/rows"),
		order:  newAffine(newStream(d.cfg.Seed, p.label+"/order"), people),
		person: person,
		ids:    d.ids.clone(),
	}
}

// identifier writes the identifier cell of identity: canonical as the
// partner stores it, or as typed into a CRM; invalid for identity -1.
func (s *side) identifier(identity int, canonical bool) string {
	switch {
	case identity < 0:
		return invalid(s.rows, s.ids.key)
	case canonical:
		return s.ids.canonical(identity)
	}
	return s.ids.typed(s.rows, identity)
}

// nextIdentity returns the identity of the next row, -1 for an invalid
// identifier.
func (s *side) nextIdentity() int {
	var identity int
	switch s.params.nextEvent(s.events, s.written) {
	case eventInvalid:
		return -1
	case eventNext:
		identity = 2 * s.person(s.order.at(s.visited))
		s.visited++
		if chance(s.rows, s.params.second) {
			identity++
		}
	case eventDuplicate:
		identity = s.recent[s.rows.IntN(min(s.written, len(s.recent)))]
	case eventPersona:
		identity = s.recent[s.rows.IntN(min(s.written, len(s.recent)))] ^ 1
	}
	s.recent[s.written%len(s.recent)] = identity
	s.written++
	return identity
}

// segmentDrawer draws the segments of advertiser rows: 0 to 3 distinct
// labels, earlier labels more often (weight 1/(j+1)).
type segmentDrawer struct {
	names   []string
	weights []choice[int]
	cells   map[uint64]string // cell text by mask, built once per mask
}

// segmentCounts is the distribution of labels per row.
var segmentCounts = []choice[int]{{0, 30}, {1, 40}, {2, 22}, {3, 8}}

func newSegmentDrawer(names []string) *segmentDrawer {
	s := &segmentDrawer{names: names, cells: map[uint64]string{}}
	for j := range names {
		s.weights = append(s.weights, choice[int]{j, 420 / (j + 1)})
	}
	return s
}

func (s *segmentDrawer) draw(r *rand.Rand) (string, uint64) {
	if len(s.names) == 0 {
		return "", 0
	}
	var mask uint64
	for range min(pick(r, segmentCounts), len(s.names)) {
		for {
			if bit := uint64(1) << pick(r, s.weights); mask&bit == 0 {
				mask |= bit
				break
			}
		}
	}
	cell, ok := s.cells[mask]
	if !ok {
		var labels []string
		for j, name := range s.names {
			if mask>>j&1 == 1 {
				labels = append(labels, name)
			}
		}
		cell = strings.Join(labels, ";")
		s.cells[mask] = cell
	}
	return cell, mask
}
