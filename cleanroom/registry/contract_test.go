package registry_test

import (
	"github.com/blindjoin/blindjoin/cleanroom/httpapi"
	"github.com/blindjoin/blindjoin/cleanroom/registry"
)

// The registry implements what the HTTP layer needs; checked in a test so
// that the registry does not import the HTTP layer.
var _ httpapi.Parties = (*registry.Registry)(nil)
