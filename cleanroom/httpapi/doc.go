// Package httpapi is the clean room's HTTP boundary: the Gin router, its
// middleware (request ids, access log, metrics, authentication, rate
// limits, panic recovery), the mapping of errors to statuses and JSON
// bodies, the Prometheus metrics and the OpenAPI description of the API.
//
// It is the only package of the module that imports Gin, and *gin.Context
// never leaves it: handlers translate a request into a call on the Sessions
// and Parties interfaces (contract.go) with a session.Principal and plain
// values, and translate the result or error back. Everything the service
// can get wrong or refuse reaches the client through one function,
// classify (errors.go), so a status code or an error code cannot drift
// between routes, and no internal detail is ever echoed: it is logged, with
// the request id, and the client gets a fixed message.
//
// Request flow:
//
//	request id -> access log + metrics -> panic recovery -> route
//	  /v1/...: bearer token (auth) -> party still active -> rate limit
//	           -> strict JSON or streamed part body -> Sessions -> JSON
//
// Bodies are bounded before anyone reads them: JSON requests by
// MaxJSONBody and Config.JSONReadTimeout, and refused with a duplicate or
// case-variant key (protocol/strictjson); part uploads by wire.MaxPartSize
// and the server's long read timeout, streamed straight to the service
// without being buffered here. The token exchange, the one unauthenticated
// route that does work, is rate-limited per client address. Large answers
// stream too: counterpart parts, and the results, which are copied from the
// service's stored JSON (an object of the blob store) with their length,
// never decoded (a media partner's can be hundreds of megabytes).
//
// NewHandler returns the metrics apart from the API, to be served on a
// listener of their own: they need no credentials and show authentication
// failures, traffic by route and sessions by state. A request whose client
// hung up before the answer is logged and counted as 499, not as a 5xx. Credentials never reach a log line:
// the access log records the route template, the status, the duration,
// the party name and a request id the server drew itself, nothing taken
// from the headers or the body.
//
// A 503 always carries Retry-After: the process is not ready or is
// draining (Config.Draining: /readyz and new part uploads that still
// reach a process shutting down are refused while in-flight requests
// finish, and the parties' clients retry, through another replica behind
// a load balancer), or the service is still preparing what was asked, in
// a background job (session.ErrNotReady: the counterpart set before its
// relay job ran, the results before the join job ran).
//
// openapi.json (embedded, OpenAPI 3.1) describes every route; the tests
// compare it with the router and validate real responses against it.
package httpapi
