// blindjoin transcript verifier: a replay of protocol/transcript in the
// browser (package doc "Encoding"), with WebCrypto SHA-256 and Ed25519.
//
//   canonical(e) = u64(seq) || i64(unix_seconds) || u32(nanoseconds)
//                  || str(actor) || str(type)
//                  || u32(n) || str(key_1) || str(value_1) || ... (keys sorted by bytes)
//   str(x) = u32(len(utf8(x))) || utf8(x), integers big-endian
//   head_0 = SHA-256("blindjoin-transcript-v1" || session_id)
//   head_i = SHA-256(head_{i-1} || canonical(event_i))
//   signed = "blindjoin-transcript-v1 head\n" || session_id || "\n" || n || "\n" || hex(head_n) || "\n" || key_id
"use strict";

var DOMAIN = "blindjoin-transcript-v1";
var utf8 = new TextEncoder();

document.addEventListener("DOMContentLoaded", function () {
  document.getElementById("verify").addEventListener("click", run);
  document.getElementById("fetch").addEventListener("click", fetchTranscript);
  document.getElementById("file").addEventListener("change", function (ev) {
    var f = ev.target.files[0];
    if (f) { f.text().then(function (t) { document.getElementById("transcript").value = t; }); }
  });
});

function say(ok, text) {
  var v = document.getElementById("verdict");
  v.textContent = text;
  v.className = ok ? "ok" : "bad";
}

// fetchTranscript asks the clean room for the transcript with the
// auditor's own key, as `blindjoin session transcript` does.
function fetchTranscript() {
  var id = document.getElementById("session-id").value.trim();
  var key = document.getElementById("api-key").value.trim();
  if (!id || !key) { say(false, "Give the session id and your auditor API key, or load a transcript file."); return; }
  fetch("/v1/auth/token", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ api_key: key }) })
    .then(function (r) { if (!r.ok) { throw new Error("the clean room refused the API key (" + r.status + ")"); } return r.json(); })
    .then(function (tok) {
      return fetch("/v1/sessions/" + encodeURIComponent(id) + "/transcript", { headers: { "Authorization": "Bearer " + tok.access_token } });
    })
    .then(function (r) { if (!r.ok) { throw new Error("the clean room refused the transcript (" + r.status + "): is this key an auditor of the session?"); } return r.text(); })
    .then(function (t) {
      document.getElementById("transcript").value = t;
      document.getElementById("verdict").textContent = "Transcript fetched: not verified yet.";
      document.getElementById("verdict").className = "pending";
    })
    .catch(function (e) { say(false, "Could not fetch: " + e.message); });
}

function run() {
  var list = document.getElementById("timeline");
  list.textContent = "";
  verify(document.getElementById("transcript").value, document.getElementById("key").value)
    .then(function (t) {
      say(true, "Verified: " + t.events.length + " events chain to the head signed by key " + t.head.key_id + ".");
      timeline(list, t);
    })
    .catch(function (e) { say(false, "NOT verified: " + e.message); });
}

// verify checks a transcript's syntax, chain and signature, as
// transcript.ParseTranscript and transcript.Verify do.
async function verify(text, keyText) {
  if (!window.crypto || !crypto.subtle) {
    throw new Error("this browser offers no WebCrypto here (it needs HTTPS or localhost)");
  }
  var pub = parseKey(keyText);
  var t;
  try { t = JSON.parse(text); } catch (e) { throw new Error("the transcript is not JSON"); }
  expectKeys(t, ["session_id", "events", "head"], "the transcript");
  expectKeys(t.head, ["session_id", "seq", "hash", "key_id", "signature"], "the head");
  if (!validID(t.session_id) || t.head.session_id !== t.session_id) { throw new Error("the session ids of the transcript and of its head differ or are malformed"); }
  if (!validID(t.head.key_id)) { throw new Error("the head's key id is malformed"); }
  if (!Array.isArray(t.events) || t.events.length === 0) { throw new Error("the transcript has no events"); }
  var hash = await sha256(utf8.encode(DOMAIN + t.session_id));
  var prevTime = null;
  for (var i = 0; i < t.events.length; i++) {
    var e = t.events[i];
    expectKeys(e, ["seq", "time", "actor", "type", "data"], "event " + (i + 1));
    if (e.seq !== i + 1) { throw new Error("event " + (i + 1) + " is numbered " + e.seq + ": events are missing or reordered"); }
    var tm = parseTime(e.time, i + 1);
    if (prevTime && compareTime(tm, prevTime) < 0) { throw new Error("event " + e.seq + " is older than the one before it"); }
    prevTime = tm;
    hash = await sha256(concat([hash, canonical(e, tm)]));
  }
  if (t.head.seq !== t.events.length) { throw new Error("the head covers " + t.head.seq + " events, the transcript has " + t.events.length + ": it was cut or extended"); }
  if (!/^[0-9a-f]{64}$/.test(t.head.hash) || !/^[0-9a-f]{128}$/.test(t.head.signature)) { throw new Error("the head's hash or signature is not lowercase hex of the right length"); }
  if (toHex(hash) !== t.head.hash) { throw new Error("TAMPERED: the events do not hash to the signed head (an event was changed, removed or reordered)"); }
  var msg = utf8.encode(DOMAIN + " head\n" + t.session_id + "\n" + t.head.seq + "\n" + t.head.hash + "\n" + t.head.key_id);
  var key;
  try {
    key = await crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
  } catch (e) {
    throw new Error("this browser's WebCrypto has no Ed25519 (Chromium 137+, Firefox 129+ and Safari 17+ have it)");
  }
  var ok = await crypto.subtle.verify({ name: "Ed25519" }, key, fromHex(t.head.signature), msg);
  if (!ok) { throw new Error("the head's signature does not verify with this key: another key signed it, or the head was altered"); }
  return t;
}

function expectKeys(o, keys, what) {
  if (o === null || typeof o !== "object" || Array.isArray(o)) { throw new Error(what + " is not a JSON object"); }
  var got = Object.keys(o).sort().join(",");
  if (got !== keys.slice().sort().join(",")) { throw new Error(what + " has fields " + got + ", expected " + keys.join(",")); }
}

function validID(s) { return typeof s === "string" && /^[!-~]{1,128}$/.test(s); }

// parseTime reads the canonical RFC 3339 UTC time (minimal fraction).
function parseTime(s, seq) {
  var m = typeof s === "string" && /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{0,8}[1-9]))?Z$/.exec(s);
  if (!m) { throw new Error("event " + seq + " has a time that is not canonical RFC 3339 UTC"); }
  var ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (isNaN(ms) || +m[1] < 1970) { throw new Error("event " + seq + " has a time out of range"); }
  var nanos = m[7] ? +(m[7] + "000000000").slice(0, 9) : 0;
  return { secs: BigInt(ms / 1000), nanos: nanos, text: s };
}

function compareTime(a, b) {
  if (a.secs !== b.secs) { return a.secs < b.secs ? -1 : 1; }
  return a.nanos - b.nanos;
}

// checkEvent refuses what transcript.Event.Validate refuses.
function checkEvent(e) {
  var bad = function (what) { throw new Error("event " + e.seq + ": " + what); };
  if (!validText(e.actor, 256)) { bad("the actor must be 1..256 bytes without control characters"); }
  if (!validName(e.type)) { bad("the type must be 1..64 of [a-z0-9_]"); }
  if (e.data === null || typeof e.data !== "object" || Array.isArray(e.data)) { bad("data is not an object"); }
  var keys = Object.keys(e.data);
  if (keys.length > 64) { bad("more than 64 data entries"); }
  keys.forEach(function (k) {
    if (!validName(k)) { bad("data keys must be 1..64 of [a-z0-9_]"); }
    var v = e.data[k];
    if (typeof v !== "string" || (v !== "" && !validText(v, 1024))) { bad("data values must be up to 1024 bytes without control characters"); }
  });
}

function validName(s) { return typeof s === "string" && /^[a-z0-9_]{1,64}$/.test(s); }

// validText: 1..max bytes of UTF-8 without control characters (Unicode
// category Cc, as Go's unicode.IsControl).
function validText(s, max) {
  if (typeof s !== "string") { return false; }
  var n = utf8.encode(s).length;
  return n >= 1 && n <= max && !/[\u0000-\u001f\u007f-\u009f]/.test(s) && s.isWellFormed();
}

function canonical(e, tm) {
  checkEvent(e);
  var head = new DataView(new ArrayBuffer(20));
  head.setBigUint64(0, BigInt(e.seq));
  head.setBigInt64(8, tm.secs);
  head.setUint32(16, tm.nanos);
  var parts = [new Uint8Array(head.buffer), str(e.actor), str(e.type)];
  var keys = Object.keys(e.data).sort(byBytes);
  parts.push(u32(keys.length));
  keys.forEach(function (k) {
    if (typeof e.data[k] !== "string") { throw new Error("event " + e.seq + " has a data value that is not a string"); }
    parts.push(str(k), str(e.data[k]));
  });
  return concat(parts);
}

function byBytes(a, b) {
  var x = utf8.encode(a), y = utf8.encode(b);
  for (var i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) { return x[i] - y[i]; }
  }
  return x.length - y.length;
}

function str(s) { var b = utf8.encode(s); return concat([u32(b.length), b]); }
function u32(n) { var b = new DataView(new ArrayBuffer(4)); b.setUint32(0, n); return new Uint8Array(b.buffer); }

function concat(arrays) {
  var n = arrays.reduce(function (s, a) { return s + a.length; }, 0);
  var out = new Uint8Array(n), off = 0;
  arrays.forEach(function (a) { out.set(a, off); off += a.length; });
  return out;
}

async function sha256(b) { return new Uint8Array(await crypto.subtle.digest("SHA-256", b)); }
function toHex(b) { return Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join(""); }
function fromHex(s) { var b = new Uint8Array(s.length / 2); for (var i = 0; i < b.length; i++) { b[i] = parseInt(s.substr(2 * i, 2), 16); } return b; }

// parseKey reads a 32-byte key in hex or base64, as
// transcript.ParsePublicKey does.
function parseKey(s) {
  s = s.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) { return fromHex(s.toLowerCase()); }
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) {
    var bin = atob(s.replace(/-/g, "+").replace(/_/g, "/").replace(/=$/, "") + "=");
    if (bin.length === 32) { return Uint8Array.from(bin, function (c) { return c.charCodeAt(0); }); }
  }
  throw new Error("the key is not a 32-byte Ed25519 key in hex or base64");
}

var WORDS = {
  session_created: "session proposed",
  joined: "media partner accepted the policy",
  part_uploaded: "blinded part uploaded",
  reblinded_uploaded: "re-blinded part uploaded",
  computed: "results computed; the event commits to each party's results",
  purged: "blinded data deleted",
  expired: "session expired"
};

// timeline lists the events in words.
function timeline(list, t) {
  t.events.forEach(function (e) {
    var li = document.createElement("li");
    var when = document.createElement("time");
    when.dateTime = e.time;
    when.textContent = new Date(e.time).toLocaleString();
    var what = WORDS[e.type] || e.type;
    var d = e.data;
    if (d.side) { what = d.side.replace("_", " ") + ": " + what; }
    if (d.part !== undefined) { what += " #" + d.part; }
    if (d.records !== undefined) { what += " (" + Number(d.records).toLocaleString("en-US") + " records)"; }
    if (d.reason) { what += ": " + d.reason; }
    li.append(when, " ", e.actor, " — ", what);
    list.append(li);
  });
}
