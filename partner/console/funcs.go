package console

import (
	"html/template"
	"strconv"
)

// funcs are the helpers the templates use.
var funcs = template.FuncMap{
	// px writes a coordinate for an SVG attribute.
	"px":  func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	"add": func(a, b float64) float64 { return a + b },
}
