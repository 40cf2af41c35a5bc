package httpapi

// Keys of the values that middleware and handlers leave on the gin.Context
// for the access log.
const (
	ctxRequestID = "blindjoin.request_id"
	ctxParty     = "blindjoin.party"
	ctxError     = "blindjoin.error"
	ctxCode      = "blindjoin.code"
)
