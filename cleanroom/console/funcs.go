package console

import "html/template"

// funcs are the helpers the templates use.
var funcs = template.FuncMap{}
