package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/blindjoin/blindjoin/partner/client"
)

// acceptFlags are the policy-acceptance flags, named and meant the same on
// session join and match: --yes accepts the policy as the session holds
// it, --policy-hash only the policy reviewed beforehand.
type acceptFlags struct {
	yes  *bool
	hash *string
}

// addAcceptFlags adds --yes and --policy-hash; prefix says when they apply
// ("media partner: join the session first, ").
func addAcceptFlags(fs *flag.FlagSet, prefix string) acceptFlags {
	return acceptFlags{
		yes:  fs.Bool("yes", false, prefix+"accepting its policy without asking (scripts: review it with `session show` first)"),
		hash: fs.String("policy-hash", "", prefix+"accepting its policy only if it has this `hash` (reviewed beforehand)"),
	}
}

// policyHash is the policy hash match accepts: the one given, or with
// --yes the session's own, which it says it accepts. Empty: none.
func (a acceptFlags) policyHash(ctx context.Context, c *client.Client, id string, std stdio) (string, error) {
	if *a.hash != "" || !*a.yes {
		return *a.hash, nil
	}
	s, _, err := fetchSession(ctx, c, id)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(std.err, "accepting the policy of session %s as it is (--yes): policy hash %s\n", s.ID, s.PolicyHash)
	return s.PolicyHash, nil
}
