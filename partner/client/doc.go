// Package client is the party side of the clean room's HTTP API
// (protocol/api): one method per route, over plain net/http.
//
// A Client exchanges its API key for a short-lived bearer token
// (POST /v1/auth/token), keeps it, refreshes it shortly before it expires,
// and refreshes it once more when a call is answered 401 (a server restart
// may have rotated its keys); a second 401 is returned to the caller.
//
// # Retries
//
// Calls that can be repeated without changing their outcome are retried
// with exponential backoff and full jitter on 408, 429 (honouring
// Retry-After), 500, 502, 503, 504 and network errors: GET, DELETE, the
// token exchange, join (accepting the same policy hash twice), and part
// uploads, which the server acknowledges idempotently by part index and
// digest (protocol/SPEC.md section 7). Attempts are bounded by
// Config.MaxAttempts and by the caller's context: the client never sleeps
// past the context's deadline, it returns the last error instead.
//
// POST /v1/sessions is the exception. The API has no idempotency key, so a
// request whose response was lost may well have created a session (and
// reserved privacy budget); sending it again would create a second one. It
// is retried only when the server certainly did nothing: a 429 (the rate
// limiter answers before the handler runs) or a connection that could not
// be established. After any other failure the caller should list its
// sessions before trying again.
//
// # Timeouts
//
// Every attempt runs under its own deadline, inside the caller's context:
// Config.RequestTimeout for JSON calls, Config.PartTimeout for part uploads
// and downloads, which stream up to 64 MiB each. A download's deadline runs
// until its body is closed.
//
// # Results
//
// A media partner's results hold an activation record per released row,
// millions of them. DownloadResults streams the body, as sent, to a file
// the caller gives, at most a limit the caller derives from what it
// uploaded (api.ResultsSizeLimit); Results decodes the body as it arrives
// (api.ReadResults) and keeps only the activation records' count. Both
// read the body inside the attempt, so a body that breaks off is retried
// like a lost connection.
//
// # Part bodies
//
// Uploads stream: a Body opens a fresh reader for each attempt, so a retry
// sends the same bytes again without the client buffering them. A body
// whose producer fails aborts the call, unless the failure wraps
// ErrInterrupted (a download feeding the upload broke off), in which case
// the attempt is retried like a network error.
//
// # Secrets
//
// The API key and tokens never appear in errors or logs: the key is a
// Secret, which formats as a redaction, tokens are only ever put in the
// Authorization header, and error messages come from the server's error
// body, which the API keeps free of secrets.
package client
