package synth

// Built-in word lists. They are ASCII on purpose: the identifier rules lower
// A-Z only (as UID2 does), so an accented name written in two cases would
// be two identifiers, a real mismatch that this data is not meant to show.

var firstNames = []string{
	"alice", "amelie", "anna", "antoine", "arthur", "camille", "charlotte", "chloe",
	"clara", "david", "elena", "emma", "ethan", "felix", "hugo", "ines",
	"isabel", "jack", "jade", "james", "jonas", "julia", "julien", "laura",
	"leo", "lena", "lucas", "lucia", "maria", "marie", "martin", "mateo",
	"max", "mia", "noah", "nora", "olivia", "oscar", "paul", "pierre",
	"rose", "sam", "sarah", "sofia", "thomas", "tom", "victor", "zoe",
}

var lastNames = []string{
	"bauer", "bernard", "brown", "dubois", "durand", "fischer", "garcia", "girard",
	"hoffmann", "jones", "klein", "lambert", "laurent", "lefebvre", "lopez", "martin",
	"martinez", "meyer", "michel", "moreau", "muller", "murphy", "petit", "richard",
	"robert", "rossi", "roux", "russo", "sanchez", "schmidt", "schneider", "simon",
	"smith", "taylor", "thomas", "walker", "weber", "wilson", "wagner", "ricci",
}

// consumerDomains are personal mailbox providers, weighted roughly by
// their share in a French and European customer base.
var consumerDomains = []choice[string]{
	{"gmail.com", 34}, {"yahoo.com", 6}, {"yahoo.fr", 5}, {"hotmail.com", 6}, {"hotmail.fr", 5},
	{"outlook.com", 7}, {"icloud.com", 6}, {"orange.fr", 7}, {"free.fr", 6}, {"sfr.fr", 3},
	{"laposte.net", 3}, {"wanadoo.fr", 2}, {"gmx.de", 4}, {"web.de", 3}, {"proton.me", 3},
}

// workDomains are fictional employers, for the work persona.
var workDomains = []string{
	"acme-corp.com", "globex.com", "initech.com", "umbrella-group.com", "hooli.com",
	"stark-industries.com", "wayne-enterprises.com", "soylent.fr", "cyberdyne.io", "vandelay.com",
}

// emailTags are what people append after '+' in a gmail address.
var emailTags = []string{"news", "shop", "promo", "orders", "spam", "fidelite", "2024"}
