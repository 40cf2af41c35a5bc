package console

import (
	"math"

	"github.com/blindjoin/blindjoin/partner/wording"
)

// Charts are computed here and drawn by the templates as SVG with text
// labels: readable in a screenshot, by a screen reader (each chart has a
// title and its figures as text) and on paper.

// venn is the two-circle overlap diagram.
type venn struct {
	Width, Height      float64
	X1, X2, Y, R1, R2  float64
	You, Them          string // the two labels: name and size
	Overlap            string // the overlap as text
	OverlapX, OverlapY float64
	Suppressed         bool // the overlap is below k: no lens is drawn
	Title              string
}

// vennRadius is the radius of the larger circle.
const vennRadius = 80

// newVenn draws sets of mine and theirs records, overlapping by overlap
// (nil: suppressed under k), with areas in proportion.
func newVenn(you, them string, mine, theirs int64, overlap *int64, k int64) venn {
	v := venn{Width: 420, Height: 200, Y: 100, You: you + ": " + wording.Thousands(mine), Them: them + ": " + wording.Thousands(theirs)}
	big := float64(max(mine, theirs, 1))
	v.R1 = vennRadius * math.Sqrt(float64(max(mine, 0))/big)
	v.R2 = vennRadius * math.Sqrt(float64(max(theirs, 0))/big)
	v.R1, v.R2 = max(v.R1, 4), max(v.R2, 4)
	var d float64
	if overlap == nil {
		v.Suppressed = true
		v.Overlap = "overlap < " + wording.Thousands(k)
		d = v.R1 + v.R2 + 20
	} else {
		v.Overlap = "overlap " + wording.Thousands(*overlap)
		area := float64(*overlap) / big * math.Pi * vennRadius * vennRadius
		d = distanceForLens(v.R1, v.R2, area)
	}
	v.X1 = 210 - d/2 - (v.R1-v.R2)/2
	v.X2 = v.X1 + d
	v.OverlapX, v.OverlapY = (v.X1+v.R1+v.X2-v.R2)/2, v.Y+4
	if v.Suppressed {
		v.OverlapX, v.OverlapY = 210, v.Height-8
	}
	v.Title = "Overlap diagram: " + v.You + ", " + v.Them + ", " + v.Overlap + " (areas in proportion)"
	return v
}

// lensArea is the area shared by circles of radii r1, r2 at distance d.
func lensArea(r1, r2, d float64) float64 {
	switch {
	case d >= r1+r2:
		return 0
	case d <= math.Abs(r1-r2):
		r := min(r1, r2)
		return math.Pi * r * r
	}
	a1 := r1 * r1 * math.Acos((d*d+r1*r1-r2*r2)/(2*d*r1))
	a2 := r2 * r2 * math.Acos((d*d+r2*r2-r1*r1)/(2*d*r2))
	return a1 + a2 - 0.5*math.Sqrt((-d+r1+r2)*(d+r1-r2)*(d-r1+r2)*(d+r1+r2))
}

// distanceForLens finds the distance at which the circles share area
// (bisection: the shared area shrinks as the distance grows).
func distanceForLens(r1, r2, area float64) float64 {
	lo, hi := math.Abs(r1-r2), r1+r2
	for range 60 {
		mid := (lo + hi) / 2
		if lensArea(r1, r2, mid) > area {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// bars is a horizontal bar chart with a text label on every bar.
type bars struct {
	Width, Height float64
	Title         string
	Rows          []bar
}

type bar struct {
	Name  string
	Text  string // the figure as text: "1,234", or "< 50" when suppressed
	Y     float64
	W     float64 // bar length; 0 for a suppressed count (no bar is drawn)
	TextX float64
}

const (
	barLabelRunes = 22 // a longer label is cut, to stay left of its bar
	barLabelWidth = 170
	barMaxWidth   = 260
	barRowHeight  = 26
)

// barItem is one figure to draw: nil is suppressed under k.
type barItem struct {
	Name  string
	Value *int64
	Note  string // appended to the text, e.g. a match rate
}

// newBars draws items; a suppressed item gets the text "< k" and no bar,
// so its length cannot be read off the chart either.
func newBars(title string, items []barItem, k int64) bars {
	var top int64 = 1
	for _, it := range items {
		if it.Value != nil {
			top = max(top, *it.Value)
		}
	}
	b := bars{Width: barLabelWidth + barMaxWidth + 210, Height: float64(len(items))*barRowHeight + 8, Title: title}
	for i, it := range items {
		r := bar{Name: shorten(it.Name, barLabelRunes), Y: float64(i)*barRowHeight + 4}
		if it.Value == nil {
			r.Text = "< " + wording.Thousands(k)
		} else {
			r.Text = wording.Thousands(*it.Value)
			r.W = math.Max(1, float64(*it.Value)/float64(top)*barMaxWidth)
		}
		if it.Note != "" {
			r.Text += " · " + it.Note
		}
		r.TextX = barLabelWidth + r.W + 6
		b.Rows = append(b.Rows, r)
	}
	return b
}

// shorten cuts s to n runes, marking the cut with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
