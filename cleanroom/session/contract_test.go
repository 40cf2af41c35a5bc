package session_test

import (
	"github.com/blindjoin/blindjoin/cleanroom/httpapi"
	"github.com/blindjoin/blindjoin/cleanroom/session"
)

// The service implements what the HTTP layer needs. The check lives in an
// external test package: package session itself must never import httpapi
// (nor Gin through it).
var _ httpapi.Sessions = (*session.Service)(nil)
