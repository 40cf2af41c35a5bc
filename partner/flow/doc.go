// Package flow runs a party's side of a clean-room session end to end:
// what `blindjoin match ID --in FILE --id-column COL ...` does, and
// Preflight, what `blindjoin check FILE ...` does: the read alone.
//
//	read      input rows (csvin.OpenFile: CSV in any of its encodings and
//	          delimiters, gzip, zstd, Parquet, stdin) -> normalized identifier digest, consent facts,
//	          attribute bits; rows that may not count are written to
//	          rejects.csv and never leave the machine
//	upload    shuffle, blind with the session key on every core, stream
//	          wire parts (kind blinded) while blinding, several at once
//	exchange  download the counterpart's set part by part, re-blind each
//	          element, stream the join digests back (kind join) while
//	          downloading
//	results   wait for the clean room's join, download the results to a
//	          scratch file (bounded by what was uploaded), read them one
//	          activation record at a time (api.ReadResults), write
//	          summary.json, results.json (the bytes released, for
//	          `blindjoin audit verify --results`) and, for the media
//	          partner, activation.csv mapped back to input rows; neither
//	          unless the results are sound, activation.csv first
//
// In a multi-key session (Options.KeyColumns: one column per match key the
// file has) a row keeps each key whose cell normalizes; rows that count are
// staged until the file is read, since rule 2 of protocol/SPEC.md section 11
// ("duplicates": "drop") needs every row; then each record carries one
// element per key the row kept (keys.go).
//
// # Decisions
//
// Who we are. The session says who its advertiser and media partner are;
// the caller's party name and role come from its access token
// (client.Identity) or Options.Role, and must agree with the session.
//
// Joining. A media partner's flow runs on a session it has joined (the
// CLI's `session join` shows the policy and accepts it). With
// Options.AcceptPolicyHash set, the flow joins itself, but only if the
// session's policy has exactly that hash: accepting a policy is a decision
// about the partner's users that a flow must not take by default. The
// advertiser's flow waits for the partner to join before uploading (the
// clean room accepts blinded parts only from then on).
//
// Rejected rows. Every data row ends up either uploaded or in rejects.csv
// with its row number and a reason that never quotes the cell, tested in
// this order: a malformed CSV row, an invalid identifier ("invalid email:
// more than one '@'"), a duplicate ("duplicate email: same email as row
// 12": the normalized identifier is on an earlier row, which keeps it
// whatever its consent says), an unreadable consent cell (which then
// carries no consent), or no lawful basis under the session's count rule
// (DESIGN.md section 4). summary.json counts them by reason. Duplicates
// stay home because the clean room refuses a set that holds one person
// twice: its thresholds count people, not rows. An advertiser segment name
// that the session does not define is not a reason to drop the row: the
// row keeps its known segments and summary.json counts the unknown names,
// so a typo shows.
//
// Reading as the file is. Options.Format carries the delimiter and
// encoding; Options.ConsentMap reads a first-party consent column ("Oui",
// "Non") as the purposes it maps each value to, and a value it lacks keeps
// its row home ("consent value not in the consent mapping"), counted, the
// cell never quoted; Options.SegmentNames turns labels in words into
// segment names (Slug), as session create must have done. The segments
// column is read only for an advertiser whose session has segments, so its
// default name need not exist otherwise; there, a file that yields none of
// the session's segments is refused before anything is uploaded
// (ErrNoSegments; Options.NoSegments allows it): the session runs once.
//
// Warnings. After the read, and before anything is uploaded, the flow
// draws Warnings from counts it kept while reading (readStats: never a
// cell): a large group of rows kept home for one identifier or CSV reason,
// the --region that would read rejected phone numbers
// (identifier.RegionGuesser), first-party consent values without a
// mapping, values the mapping lacks, a segments column without labels or
// without the session's, labels that are not segment names (quoted only
// when they are words shared by several rows), and the reader's own hints
// (another encoding). Preflight returns the same warnings for a Plan of the
// session (role, match key, policy, segments) instead of the clean room's
// session, and writes nothing.
//
// Waiting. While it waits for the counterpart, the flow tells a Progress
// that is a Waiter what it waits for and since when ("waiting for news's
// upload (12,000 records so far)"), from the session view's upload
// counts. It polls every PollInterval growing to MaxPollInterval, and at
// most every second once it waits for the results.
//
// Memory. A kept row costs 4 bytes of memory, whatever the file's size
// (and a bit while the results are read, to catch a record released
// twice; activation rows go through bucket files, activation.go):
// its input row number, by kept row while the file is read, then by
// upload position (audience.byPosition) to map activation records back to
// rows; 8 bytes while the upload order is set (the permutation, turned in
// place into byPosition and its inverse), and a multi-key row 1 more
// while the file is read (the keys it carries). Everything else a row
// needs goes to files of a private scratch directory (scratch.go): made
// with mode 0700 in the output directory (Preflight, which has none, uses
// the system's temporary directory), files 0600, removed with everything
// in it once the upload is complete, when a run fails or is interrupted,
// and by a plan once the bucket files are written. They hold identifier
// digests, which a dictionary inverts: never logged, never sent, and gone
// with the directory. A process killed outright (SIGKILL, the OOM killer,
// a power cut) cannot remove its .blindjoin-scratch-* directory, so the
// directory is internal/spill's Dir (spill.MakeDir): locked (owner.lock,
// flock) by its process while it lives, and removed by the next run that
// makes a scratch directory in the same place once that lock is free,
// never while it is held (the workers of a plan share their directory).
// The files, written front to back and read back without mapping them
// into memory (mapped pages would count in the process's memory):
//
//	rows         the row log (rowlog.go): what the read found on each row
//	             (a reject, or a one-key row's digest and consent cell's
//	             outcome), in row order
//	identifiers  256 bucket files of (key, 16 bytes of digest, row),
//	             chosen by the digest's first byte (dupFinder; bucket
//	             files are internal/spill's, in a blindjoin-spill-*
//	             directory of the scratch directory, mode 0700)
//	staged       a multi-key party's rows before rule 2: bits, keys
//	             present, a digest per key (keyedStage)
//	records      the kept rows' records (bits, digests), in kept order
//	ordering     256 bucket files of (position, record) by position range
//	             (a multi-key record padded to one of every key)
//	ordered      the records in upload order, laid out as a bucket file's
//
// and, in a scratch directory of their own made once the results are
// ready: the results as downloaded, and the activation rows, bucket files
// of (row, segment mask) by ranges of 65,536 rows (activationRows).
//
// Why not a map of the identifiers seen: it costs 25 to 45 bytes per
// identifier, and the digests and bits 40 more, which at ten million rows
// made a party need 1.2 GB. The duplicates are found instead by sorting
// the buckets one at a time (24 bytes per identifier over 256 in memory),
// and only the duplicates stay in memory (12 bytes each). But a one-key
// row's fate depends on them: a duplicate stays home whatever its consent
// and is not counted in the consent breakdown, segments or unknown labels,
// and rejects.csv is in row order. So the read logs each row's outcome,
// counting nothing that depends on the duplicates, and replay goes
// through the log in row order once they are known: rejects.csv,
// summary.json's counts, the kept rows and their fingerprint are what a
// read that knew the duplicates gives, byte for byte. Then, with the key,
// audience.order writes the records again in the upload order that
// uploadPermutation gives, scattered by position into buckets sorted one
// at a time: each part reads its records front to back (one read per
// record would cost a system call, about a microsecond, a few percent of
// the session's CPU), and a plan's bucket file is a byte range of them.
//
// Shuffle and resume. The upload order is a permutation drawn by
// protocol/shuffle from a deterministic generator (AES-256-CTR) keyed by
// HMAC-SHA256(session key, label || session id). It is as secret as the
// key, needs no storage of its own, and cannot drift from the key it goes
// with: a resumed run rebuilds the same permutation, hence the same parts
// with the same digests, which the clean room acknowledges idempotently
// (protocol/SPEC.md section 7). The key lives in partner/keystore; next to
// it the flow keeps a resume record (state.go): a fingerprint of the key,
// one of the kept rows (SHA-256 over row numbers, digests and bits), the
// split into parts and the options that select and encode the rows. Once
// the clean room holds part of our upload, a run with another key or
// other rows is refused before it sends or writes anything (ErrKeyChanged,
// ErrInputChanged naming the options that changed): the key orders the
// upload, re-blinds the counterpart's set and maps activation records back
// to rows, so going on would produce wrong results or other people's rows.
// The parts the server holds are skipped, but for the few that parts in
// flight may have left past a gap ("Parallel parts"). Without a usable
// record, every part is sent again while the server still takes blinded
// parts (it refuses a re-sent part that differs; the new record is saved
// only once those it held came back acknowledged), and the run is refused
// past that (ErrResumeState). The key and state are deleted once the outputs are
// written.
//
// Pipelining. Parts are produced into an io.Pipe that the HTTP request
// reads, so blinding (every core, protocol/blind batches) overlaps the
// upload. In the exchange, each join part is produced while its
// counterpart part downloads; its trailer is written only after the
// download's checksum verified, so the clean room never accepts a join part
// computed from a corrupted download. A retry (a 503, a broken connection)
// produces the part again from scratch: same bytes, same digest.
//
// Parallel parts. Options.Parallel parts (K, default the number of cores)
// are in flight at once in the upload and in the exchange (window.go):
// the clean room checks each stream in its own request, on its own core,
// and a party's blinding overlaps the round trips of the other parts.
// Each part in flight holds its batch buffers and pipe, not the part, so
// memory grows by K parts' buffers, never by the set; progress is counted
// per part (a shared high-water mark would jump ahead with a later part).
// In the exchange the first part goes alone: its download tells how many
// parts the counterpart set has. The first part that fails cancels the
// others, and its error, naming it, is the run's.
//
// A resume must still find the first part the clean room lacks, and the
// clean room reports only how many parts it holds. So parts start in index
// order and part i only once part i-K is acknowledged: however a run
// stops, the parts it leaves past the first missing one lie less than K
// places after it. The resume record keeps, per leg, the largest K-1 any
// run used (saved before a run sends with a larger K), and a rerun starts
// that many parts before the clean room's count: at or below the first
// missing part, sending again at most K-1 parts the clean room holds,
// which it acknowledges unchanged (resumeFrom argues it). A rerun may
// change K. A record made again after it was lost, with parts of the
// upload already at the clean room, cannot say where the earlier run's
// parts lie: it makes the blinded leg resume from part 0 until complete.
//
// # Workers across machines
//
// PlanWorkers, RunWorker and FinishWorkers split Run among W machines
// (the CLI's match --plan, --worker i/W, --finish; docs/OPERATIONS.md
// says how to run them). The plan reads and checks the input as Run does,
// then writes, instead of uploading, each worker's share: a contiguous run
// of the upload order (shuffled by the session key, so a row's worker
// depends on the key and the row's place, never on its identifier) as a
// bucket file of digests and attribute bits, with the row map and a
// manifest that holds the SHA-256 of each file and the key's fingerprint
// (planfiles.go: decoded default-deny). Worker i sends the parts of its run
// with the same part sender as Run (sendBlinded), then re-blinds the
// counterpart parts whose index is i modulo W (sendJoin). Parts arrive in
// any order, so the count of parts in the session view cannot say which
// are missing: a worker that runs again skips the parts of its share that
// the session's transcript lists. The finish refuses while the clean room
// lacks a worker's part (ErrWorkersPending names them: it cannot tell a
// slow worker from a dead one), then waits for the results, writes Run's
// outputs through the row map, and deletes the bucket files, the row map
// and the key. The session key reaches the workers as a copy of its key
// file in each worker's key store, which the operator deletes with the
// job.
package flow
