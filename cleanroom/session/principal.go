package session

import (
	"io"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// Principal is the authenticated caller, taken from a verified access token
// and checked against the party registry on every request.
type Principal struct {
	Party string
	Role  api.Role
}

// Download is one relayed part ready to stream.
type Download struct {
	Parts int   // how many parts the whole relayed set has
	Size  int64 // bytes in Body
	Body  io.ReadCloser
}
