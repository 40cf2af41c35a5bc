// Package keystore keeps a party's per-session secrets on its own disk:
// the session's blinding key (a protocol/blind Key) and the flow's resume
// state.
//
// The key must outlive the process: a party that uploaded its blinded set
// and then crashed can only finish the session (re-blind the counterpart's
// set with the same scalar) if it still has the key, and it must never be
// used for another session (DESIGN.md section 2, step 4). It therefore
// lives in one file per session,
//
//	<dir>/<session-id>.key     32 bytes, the scalar (blind.Key.Bytes)
//	<dir>/<session-id>.state   the flow's resume state (opaque here; it
//	                           holds a fingerprint of the key that the
//	                           flow checks the key against on resume)
//
// where dir defaults to os.UserConfigDir()/blindjoin/sessions/<server-host>
// (Dir). Files are created 0600 in a 0700 directory and written atomically
// (internal/atomicfile: a temporary file, fsync, then a link or rename,
// then a directory fsync), a key exclusively: two processes creating the
// key of one session at once end up sharing the one that was linked first. Loading refuses a file that is not a regular
// file or that its group or others may access, and a directory that they
// may write to, the way ssh treats its keys: a secret that others could
// read is already spent, and one they could have replaced cannot be
// trusted. Delete removes both files once a session's results are written.
//
// Permission checks are skipped on Windows, where mode bits do not
// describe access; the user's profile directory is private there.
package keystore
