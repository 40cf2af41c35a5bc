// Package api holds the JSON types and error codes of the clean room's HTTP
// API, version 1. The clean-room service (cleanroom/httpapi) and the party
// client (partner/client) both use these types, so the two sides cannot drift
// apart; the binary bodies of part uploads and downloads are protocol/wire
// parts, not JSON.
//
// Routes (all under /v1 need "Authorization: Bearer <access token>"):
//
//	POST   /v1/auth/token                    TokenRequest -> TokenResponse
//	GET    /v1/sessions                      -> SessionList
//	POST   /v1/sessions                      CreateSessionRequest -> Session (201)
//	GET    /v1/sessions/{id}                 -> Session
//	POST   /v1/sessions/{id}/join            JoinRequest -> Session
//	PUT    /v1/sessions/{id}/blinded         wire part (kind blinded) -> PartReceipt
//	GET    /v1/sessions/{id}/counterpart?part=N  wire part (kind elements); header PartCountHeader
//	PUT    /v1/sessions/{id}/reblinded       wire part (kind join) -> PartReceipt
//	GET    /v1/sessions/{id}/results         -> Results
//	GET    /v1/sessions/{id}/transcript      -> transcript.Transcript
//	DELETE /v1/sessions/{id}                 -> Session (state purged)
//
// Every error is an ErrorBody with one of the Code constants below.
//
// A media partner's Results hold one ActivationRecord per released row:
// ReadResults reads them holding one record at a time, default-deny and
// bounded (MaxResultsHead, MaxActivationRecordSize), and Results.WriteJSON
// writes them from an iterator, as json.Marshal would.
package api
