// Command blindjoin is the party-side and auditor tool: it hashes and blinds
// identifiers, runs the advertiser and media-partner flows against a
// blindjoind clean room, decodes consent strings, replays test vectors and
// verifies audit transcripts. Run "blindjoin help" for the commands.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}))
}
