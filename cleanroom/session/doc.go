// Package session is the clean room's session service: the state machine
// of a matching session, the intake of the parties' uploads, the relay of
// each set to the other party, the join, and what the policy lets out.
//
//	advertiser           Service                         media partner
//	Create ------------> created
//	                     joined  <-------------------------- Join(policy hash)
//	PutBlinded parts --> uploading <------------------------ PutBlinded parts
//	                     exchanging (both blinded sets complete)
//	Counterpart n <----- partner's counting records, server-permuted
//	                     advertiser's counting records --> Counterpart n
//	PutReblinded ------> (join digests)  <----------------- PutReblinded
//	                     computed: sort-merge join, policy, k, DP noise
//	Results <----------- advertiser view | partner view --> Results
//	                     purged (Delete, retention) | expired (no progress)
//
// # States
//
// A session's state (api.State) changes only through moveTo, which checks
// the move against one table (transitions, in states.go): created, joined,
// uploading, exchanging and computed in that order, purged from any of
// them, expired from any but computed; purged and expired are final. A
// move the table does not list is an internal error, never a silent
// change. A call in the wrong state is a *StateError naming the current
// state.
//
// # Files
//
// The files follow a session's life: create.go (Create, Join),
// upload.go (what both upload legs share: staging, commit) with
// upload_blinded.go and upload_reblinded.go, relay.go (Counterpart and the
// relay permutation), join_compute.go (running the join, storing the
// views), join_shards.go (routing both sides into shards, merging them)
// and join.go (the sort-merge and the waterfall themselves),
// activations.go (the activation on scratch disk, in record order),
// release.go (what the policy lets out, the results objects, and the
// Results call),
// retention.go (Delete, Sweep), jobs.go (the background work as job
// handlers, the blob sweep, queueing what a store already waits for),
// view.go (Get, List). Shared by all: access.go (who may call what),
// setdata.go (reading stored sets), fanout.go (cutting work into
// buckets that fit the memory budget), files.go, events.go (transcript),
// secrets.go, errors.go, config.go, service.go.
//
// # Access
//
// Only advertisers create sessions, naming a registered active media
// partner and optional registered auditors. Only that partner joins, by
// sending the hash of the policy it accepted; another hash is ErrConflict
// (409), since the request is well formed but does not match the session.
// A caller that is not a member gets ErrNotFound whether the session exists
// or not. Auditors may read the session and its transcript, nothing else
// (ErrForbidden).
//
// # Uploads
//
// A part is decoded by protocol/wire while it streams to a temporary file
// (or object) under parts/<session>/ of the blob store (Config.Blobs; by
// default DataDir/parts/<session>/); the header must be of the right kind,
// carry the session's id and (blinded parts) declare exactly the attribute
// list the policy requires of that party (policy.Attrs). Every element must
// decode strictly, as blind.DecodeElement would: they are checked 64 at a
// time as they arrive (blind.CheckElements), and the first bad one is an
// *ElementError with its part and record, even when the part also fails
// later. Records whose attribute bits
// fail the policy's count rule are kept on disk but never relayed, joined or
// counted: the server draws its own conclusions from the bits and denies by
// default. Only after the trailer verified is the file synced, renamed to a
// name holding its digest, and recorded with its transcript event in one
// store transaction. Re-sending an identical part returns its receipt;
// another part under the same index is ErrConflict. A set is complete when
// parts 0..f have arrived, f is final and each part starts where the one
// before it ends. The part that would complete a blinded set is checked
// against the whole set first (checkCompletion, outside the store
// transaction, with the party's blinded commits serialized by a lock): a
// set with fewer counting records than min_rows (ErrTooFewRows), or in
// which two counting records hold the same element (*DuplicateError,
// ErrDuplicate: one identifier uploaded twice), is refused and the part is
// not recorded, so the session does not move; the party may send the part
// again as a non-final one followed by more records. A complete set thus
// holds distinct people, and min_rows counts people. Re-blinded part i
// must hold exactly the records of relayed part i.
//
// # Relay
//
// When the session becomes exchanging, a relay job per side is queued in
// the same transaction; the job puts the other side's counting records in
// a secret order (protocol/shuffle driven by a
// keystream keyed from the server secret and the session's relay seed, one
// permutation per direction) and written once as wire parts of kind
// elements. The permutation is derived again at join time, so the server
// keeps no per-record mapping. A party that asks before the job ran waits
// up to Config.RelayWait, then gets ErrNotReady (503) and retries.
//
// # Background work
//
// The relays, the join (queued with the part that completes the second
// re-blinded set), retention (Sweep) and the blob sweep (SweepBlobs) are
// jobs in the store, run by cleanroom/jobs in any process sharing the
// store (Handlers); each handler re-checks the session in the
// transaction that records its work, so a job run twice records once.
// Config.Notify lets the process that queued a job start it at once.
//
// # Join and release
//
// The join works in memory bounded by Config.MemoryBudget whatever the
// sets' sizes, on scratch disk (Config.ScratchDir). Each side's counting
// identifiers are scattered by the relay order (the other side's
// re-blinded upload holds them in that order), read back one relay bucket
// at a time and zipped with the re-blinded digests; each digest, with the
// row and key it stands for, goes to one of S shards by a keyed hash of
// the digest (a party chooses the digests it re-blinds, so their own bits
// would let it pile a set into one shard). That is the join job
// (routeJoin), which writes the shards to the blob store and queues a
// join_shard job for each: a shard job, on any runner, sorts and merges
// its shard and writes the candidate pairs, one file per round; the last
// to finish queues the join_combine job (compute), which offers the
// candidates to the waterfall in key order and releases the results.
// S is the least power of two for which a shard's
// entries (56 bytes each in memory) fit in a quarter of the budget, a
// quarter spare: 1 up to about 950,000 identifiers per side at the
// default 512 MiB. The results do not depend on S.
//
// In memory: while a side is routed, one relay bucket of it (30 bytes per
// identifier: 30 MB at the default RelayBucketRecords, which a budget
// below 288 MiB lowers to keep a bucket within an eighth of it) and write buffers
// (a sixteenth of the budget, at most 16 MiB), both sides at once when
// both fit in a quarter of the budget; then one shard of each side; in a
// multi-key session, one bit per counting row and side (the rows already
// linked), for the whole join. The activation, which grows with the
// overlap, does not stay in memory: the linker writes each activated
// partner record (16 bytes) to scratch buckets by range of record index
// (activationSpill), and the release sorts one bucket at a time (a
// sixteenth of the budget) into one file in record order, from which the
// results are encoded as they are written (api.Results.WriteJSON). On
// scratch disk: 42 bytes per identifier of both sets until the shards are
// merged, 26 more per identifier of a side while it is routed, 50 per
// candidate pair of a multi-key session, and 32 per activated record
// until the results are stored. Rows, upload indexes and counts
// are 64-bit throughout. The duplicate check at intake works the same way:
// the set's elements go to buckets by a keyed hash (32 bytes each on disk
// and in memory), each bucket is sorted and its repeats counted.
//
// It releases:
//
//   - overlap: distinct digests present on both sides; each party's match
//     rate is the overlap over its own counting records (policy.FormatRate),
//     and each party sees only its own rate;
//   - per-segment overlap (advertiser only): distinct matched digests with
//     an advertiser row in the segment;
//   - activation (media partner only): per matched digest, the first
//     partner record that, with a matching advertiser row, passes the
//     activation rule, in the advertiser row's segments allowed by
//     activation_segments, for segments with at least k such digests.
//     Thresholds count digests, never records, even if a set with repeats
//     reached the join.
//
// Any released count below k is null. With dp in the policy, the overlap
// and every segment count get discrete Laplace noise (cleanroom/dp), the
// session's epsilon split evenly over those 1+segments counts; the noise is
// seeded from the server secret and the digests of every uploaded part, so
// a recomputation releases the same numbers; noisy counts are clamped to
// [0, the recipient's own set size] and compared with k after the noise.
// Each view is written to the blob store, results/<session>/<side>-<commitment>.json
// (storeResults), and the rows naming them are recorded with the state
// change to computed in one transaction, with a transcript event holding a
// commitment to each (transcript.CommitResult with a fresh random nonce
// that is stored in the view and returned only to its owner, so that only
// the owner can check it). A view is encoded three times from the sorted
// activation, never held: to learn the length of its committed form, which
// the commitment hashes first, to hash it, and into the object. A crash
// before that commit leaves the session exchanging, and the combine job
// runs again once its lease runs out, in any process sharing the store;
// the objects the lost run wrote are garbage for the blob sweep. So does a
// shard job, and a route job routes afresh (a route job that had queued
// its shards finds them queued and does nothing). Results streams the
// object to its party as it is; a store written before results went to
// the blob store holds the JSON in the row, which is served the same way.
//
// # Privacy budget
//
// A session with dp reserves its epsilon when it is created: the
// advertiser–partner pair's reservations of the last 30 days (dp.Window)
// plus this one must fit Config.DPBudget (DefaultDPBudget), else Create
// fails with ErrBudgetExhausted and nothing is stored. The reservation is
// charged whether or not the parties go on; it is given back only if the
// session ends (deleted or expired) before any result was computed, since
// nothing was released then.
//
// # Retention
//
// Results stay readable after a purge: they are aggregates (and, for the
// partner, indexes of its own rows). Purging deletes every part file, not
// the results objects. Sweep purges computed sessions at purge_after
// (computed_at plus the policy's retention_days) and expires sessions
// that made no progress (no state change, no part) for
// Config.ExpireAfter. SweepBlobs deletes the part objects no row names:
// at once for ended sessions, after Config.BlobGrace for live ones (an
// upload in flight on another replica is unrecorded until it commits);
// and the results objects no row names: at once once the session is past
// exchanging, after the grace while a join may still record them. No
// session row is ever deleted, so the results objects rows name stay. New queues the relays and joins that a
// store written before the jobs table waits for.
//
// Logs carry session ids, party names, counts and states, never elements,
// digests, keys or identifiers.
package session
