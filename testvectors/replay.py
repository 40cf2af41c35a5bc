#!/usr/bin/env python3
"""Independent replay of blindjoin's protocol v1 test vectors.

Written from testvectors/README.md and the RFCs it cites, in Python 3 with
the standard library only, sharing no code with the Go implementation:

  RFC 9380 section 5.3.1   expand_message_xmd (here with SHA-512)
  RFC 9380 appendix B      hash_to_ristretto255
  RFC 9496 section 4       ristretto255: constants (4.1), SQRT_RATIO_M1 (4.2),
                           decode (4.3.1), encode (4.3.2), element derivation
                           (4.3.4), scalars (4.4)

Group arithmetic is on extended twisted Edwards coordinates (X : Y : Z : T)
of edwards25519, with the unified addition formulas of Hisil, Wong, Carter
and Dawson (2008) and double-and-add scalar multiplication. Nothing here is
constant time: it replays public test data and must never see a real key.

Usage: replay.py [DIR]

Replays every *.json file of DIR (default: this script's directory) and, if
DIR has an upstream/ directory, the RFC vectors there, which check this
implementation against the published values. Prints one line per file and a
total; exits 1 on any mismatch or unreadable file, 2 on bad usage.
"""

import base64
import hashlib
import json
import os
import re
import sys
import time
import unicodedata

# ---------------------------------------------------------------------------
# Field GF(p) and ristretto255 constants (RFC 9496 section 4.1)

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493  # group order
D = 37095705934669439343138083508754565189542113879843219016388785533085940283555
SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752
SQRT_AD_MINUS_ONE = 25063068953384623474111414158702152701244531502492656460079210482610430750235
INVSQRT_A_MINUS_D = 54469307008909316920995813868745141605393597292927456921205312896311721017578
ONE_MINUS_D_SQ = 1159843021668779879193775521855586647937357759715417654439879720876111806838
D_MINUS_ONE_SQ = 40440834346308536858101042469323190826248399146238708352240133220865137265952

# The constants as the RFC defines them (a = -1): a slip in copying fails here.
assert D == (-121665 * pow(121666, -1, P)) % P
assert SQRT_M1 * SQRT_M1 % P == P - 1
assert SQRT_AD_MINUS_ONE * SQRT_AD_MINUS_ONE % P == (-D - 1) % P
assert INVSQRT_A_MINUS_D * INVSQRT_A_MINUS_D * (-1 - D) % P == 1
assert ONE_MINUS_D_SQ == (1 - D * D) % P
assert D_MINUS_ONE_SQ == (D - 1) * (D - 1) % P


def is_negative(x):
    """RFC 9496: a field element is negative if its canonical encoding is odd."""
    return x % P & 1 == 1


def ct_abs(x):
    return (-x) % P if is_negative(x) else x % P


def sqrt_ratio_m1(u, v):
    """RFC 9496 section 4.2: (was_square, r) with r non-negative."""
    u, v = u % P, v % P
    v3 = v * v % P * v % P
    v7 = v3 * v3 % P * v % P
    r = u * v3 % P * pow(u * v7 % P, (P - 5) // 8, P) % P
    check = v * r % P * r % P
    correct_sign = check == u
    flipped_sign = check == (-u) % P
    flipped_sign_i = check == (-u) * SQRT_M1 % P
    if flipped_sign or flipped_sign_i:
        r = r * SQRT_M1 % P
    return correct_sign or flipped_sign, ct_abs(r)


# ---------------------------------------------------------------------------
# Points: extended coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z, xy = T/Z

IDENTITY = (0, 1, 1, 0)


def add(p1, p2):
    """Unified addition on -x^2 + y^2 = 1 + d x^2 y^2 (complete for a = -1)."""
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * D * t1 % P * t2 % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def scalar_mult(k, point):
    """k * point by double-and-add, most significant bit first."""
    acc = IDENTITY
    for bit in bin(k)[2:]:
        acc = add(acc, acc)
        if bit == "1":
            acc = add(acc, point)
    return acc


# Reasons of README "Element encodings", in the order the checks apply.
R_LENGTH = "wrong length"
R_IDENTITY = "identity"
R_NON_CANONICAL = "non-canonical field encoding"
R_NEGATIVE = "negative field element"
R_NON_SQUARE = "non-square x^2"
R_NEGATIVE_XY = "negative xy"
R_ZERO_Y = "y = 0"


def rfc_decode(b):
    """RFC 9496 section 4.3.1. Returns (point, None) or (None, reason)."""
    if len(b) != 32:
        return None, R_LENGTH
    s = int.from_bytes(b, "little")
    if s >= P:
        return None, R_NON_CANONICAL
    if is_negative(s):
        return None, R_NEGATIVE
    ss = s * s % P
    u1 = (1 - ss) % P
    u2 = (1 + ss) % P
    u2_sqr = u2 * u2 % P
    v = (-(D * u1 % P * u1) - u2_sqr) % P
    was_square, invsqrt = sqrt_ratio_m1(1, v * u2_sqr)
    den_x = invsqrt * u2 % P
    den_y = invsqrt * den_x % P * v % P
    x = ct_abs(2 * s * den_x)
    y = u1 * den_y % P
    t = x * y % P
    if not was_square:
        return None, R_NON_SQUARE
    if is_negative(t):
        return None, R_NEGATIVE_XY
    if y == 0:
        return None, R_ZERO_Y
    return (x, y, 1, t), None


def decode_element(b):
    """blindjoin's strict decoding: RFC 9496 decoding, and no identity."""
    if len(b) != 32:
        return None, R_LENGTH
    if b == bytes(32):
        return None, R_IDENTITY
    return rfc_decode(b)


def encode(point):
    """RFC 9496 section 4.3.2."""
    x0, y0, z0, t0 = point
    u1 = (z0 + y0) * (z0 - y0) % P
    u2 = x0 * y0 % P
    _, invsqrt = sqrt_ratio_m1(1, u1 * u2 % P * u2)
    den1 = invsqrt * u1 % P
    den2 = invsqrt * u2 % P
    z_inv = den1 * den2 % P * t0 % P
    ix0 = x0 * SQRT_M1 % P
    iy0 = y0 * SQRT_M1 % P
    enchanted_denominator = den1 * INVSQRT_A_MINUS_D % P
    rotate = is_negative(t0 * z_inv)
    x, y, den_inv = (iy0, ix0, enchanted_denominator) if rotate else (x0, y0, den2)
    if is_negative(x * z_inv):
        y = -y
    s = ct_abs(den_inv * (z0 - y))
    return s.to_bytes(32, "little")


def map_to_point(t):
    """MAP of RFC 9496 section 4.3.4."""
    r = SQRT_M1 * t % P * t % P
    u = (r + 1) * ONE_MINUS_D_SQ % P
    v = (-1 - r * D) * (r + D) % P
    was_square, s = sqrt_ratio_m1(u, v)
    s_prime = (-ct_abs(s * t)) % P
    s = s if was_square else s_prime
    c = P - 1 if was_square else r
    n = (c * (r - 1) % P * D_MINUS_ONE_SQ - v) % P
    w0 = 2 * s * v % P
    w1 = n * SQRT_AD_MINUS_ONE % P
    w2 = (1 - s * s) % P
    w3 = (1 + s * s) % P
    return (w0 * w3 % P, w2 * w1 % P, w1 * w3 % P, w0 * w2 % P)


def element_derivation(b):
    """RFC 9496 section 4.3.4: 64 uniform bytes to an element."""
    assert len(b) == 64
    mask = (1 << 255) - 1
    t1 = (int.from_bytes(b[:32], "little") & mask) % P
    t2 = (int.from_bytes(b[32:], "little") & mask) % P
    return add(map_to_point(t1), map_to_point(t2))


def expand_message_xmd(msg, dst, length):
    """RFC 9380 section 5.3.1 with H = SHA-512 (b_in_bytes 64, s_in_bytes 128)."""
    ell = -(-length // 64)
    if ell > 255 or length > 65535 or len(dst) > 255:
        raise ValueError("expand_message_xmd: length or DST too long")
    dst_prime = dst + bytes([len(dst)])
    msg_prime = bytes(128) + msg + length.to_bytes(2, "big") + b"\x00" + dst_prime
    b0 = hashlib.sha512(msg_prime).digest()
    bi = hashlib.sha512(b0 + b"\x01" + dst_prime).digest()
    out = bi
    for i in range(2, ell + 1):
        bi = hashlib.sha512(bytes(x ^ y for x, y in zip(b0, bi)) + bytes([i]) + dst_prime).digest()
        out += bi
    return out[:length], dst_prime, msg_prime


def hash_to_ristretto255(msg, dst):
    """RFC 9380 appendix B."""
    return element_derivation(expand_message_xmd(msg, dst, 64)[0])


def join_digest(double):
    return hashlib.sha256(b"blindjoin-v1-join" + double).digest()[:16]


# ---------------------------------------------------------------------------
# Identifier normalization (README "Normalization"), mirroring UID2's rules

# Unicode White_Space: what surrounding white space means for trimming.
WHITE_SPACE = set(range(0x09, 0x0E)) | {0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000} | set(
    range(0x2000, 0x200B)
)
ASCII_SPACE = set(range(0x09, 0x0E)) | {0x20}
LOCAL_SYMBOLS = set("!#$%&'*+-/=?^_`{|}~.")
HEX = set("0123456789abcdefABCDEF")
DIGITS = set("0123456789")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
BASE64_44 = re.compile(r"[A-Za-z0-9+/]{42}(?:[A-Za-z0-9+/]{2}|[A-Za-z0-9+/]=|==)\Z")
BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


class Invalid(Exception):
    """An identifier that normalization rejects; args[0] is the reason."""


class NeedsPhoneMetadata(Exception):
    """A phone number only libphonenumber's numbering-plan metadata can check."""


def trim(s):
    i, j = 0, len(s)
    while i < j and ord(s[i]) in WHITE_SPACE:
        i += 1
    while j > i and ord(s[j - 1]) in WHITE_SPACE:
        j -= 1
    return s[i:j]


def lower_ascii(s):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def scan_text(s, allowed, not_allowed):
    for c in s:
        o = ord(c)
        if o < 0x80:
            if o in ASCII_SPACE:
                raise Invalid("contains white space")
            if o < 0x20 or o == 0x7F:
                raise Invalid("contains a control character")
            if not allowed(c):
                raise Invalid(not_allowed)
        elif 0xD800 <= o <= 0xDFFF:
            raise Invalid("invalid UTF-8")
        elif o == 0xFFFD:
            raise Invalid("contains U+FFFD (text damaged by a wrong encoding)")
        elif o in WHITE_SPACE:
            raise Invalid("contains white space")
        elif unicodedata.category(c) == "Cc":
            raise Invalid("contains a control character")
        elif unicodedata.category(c) == "Cf":
            raise Invalid("contains an invisible formatting character")


def utf8_len(s):
    return len(s.encode("utf-8", "surrogatepass"))


def normalize_email(s):
    # Unicode NFC before the checks and again on the result (README,
    # section 4: lowering or dropping a dot can make a composable pair).
    # ASCII is unchanged by it.
    return unicodedata.normalize("NFC", email_rules(unicodedata.normalize("NFC", s)))


def email_rules(s):
    if s == "":
        raise Invalid("empty")
    if utf8_len(s) > 254:
        raise Invalid("longer than 254 bytes")
    if "@" not in s:
        raise Invalid("missing '@'")
    local, domain = s.split("@", 1)
    if "@" in domain:
        raise Invalid("more than one '@'")
    if local == "":
        raise Invalid("empty local part")
    if domain == "":
        raise Invalid("empty domain")
    if utf8_len(local) > 64:
        raise Invalid("local part longer than 64 bytes")
    scan_text(local, lambda c: c.isascii() and (c.isalnum() or c in LOCAL_SYMBOLS), "character not allowed in local part")
    scan_text(domain, lambda c: c.isascii() and (c.isalnum() or c in "-."), "character not allowed in domain")
    if domain.startswith(".") or domain.endswith(".") or ".." in domain:
        raise Invalid("domain has an empty label")
    if "." not in domain:
        raise Invalid("domain has no '.'")
    if lower_ascii(domain) == "gmail.com":
        kept = lower_ascii(local.split("+", 1)[0].replace(".", ""))
        if kept == "":
            raise Invalid("local part empty after gmail.com normalization")
        return kept + "@gmail.com"
    return lower_ascii(s)


PHONE_SEPARATORS = set(" -./()")

# Reasons only the numbering-plan metadata can give: a replay without
# libphonenumber takes them as given (README, section 4).
PHONE_METADATA_REASONS = (
    "not a phone number",
    "not a valid number for its country",
    "valid in more than one territory of the default region",
)


def check_e164_digits(digits):
    if len(digits) < 10:
        raise Invalid("fewer than 10 digits")
    if len(digits) > 15:
        raise Invalid("more than 15 digits")
    if digits[0] == "0":
        raise Invalid("country code starts with 0")


def check_phone_text(s):
    if utf8_len(s) > 64:
        raise Invalid("longer than 64 bytes")
    for i, c in enumerate(s):
        if not (c in DIGITS or c in PHONE_SEPARATORS or (c == "+" and i == 0)):
            raise Invalid("character not allowed")


def normalize_phone(s, region):
    if s == "":
        raise Invalid("empty")
    if s[0] == "+":
        check_phone_text(s)
        check_e164_digits("".join(c for c in s[1:] if c in DIGITS))
        raise NeedsPhoneMetadata()
    if not region:
        raise Invalid("not in E.164 form and no default region")
    check_phone_text(s)
    raise NeedsPhoneMetadata()


def check_e164(s):
    """The syntax a normalized phone number must have."""
    if not (len(s) > 1 and s[0] == "+" and all(c in DIGITS for c in s[1:])):
        raise Invalid("not E.164")
    check_e164_digits(s[1:])


def normalize_maid(s):
    if s == "":
        raise Invalid("empty")
    if utf8_len(s) != 36:
        raise Invalid("not a hyphenated 8-4-4-4-12 UUID")
    hyphens = (8, 13, 18, 23)
    if any((s[i] == "-") != (i in hyphens) for i in range(36)):
        raise Invalid("not a hyphenated 8-4-4-4-12 UUID")
    digits = [s[i] for i in range(36) if i not in hyphens]
    if any(c not in HEX for c in digits):
        raise Invalid("non-hex character")
    if all(c == "0" for c in digits):
        raise Invalid("all-zero ID (ad tracking limited or refused)")
    return lower_ascii(s)


def parse_hash(s):
    """Returns (digest, normalized) of a pre-hashed identifier."""
    n = utf8_len(s)
    if n == 0:
        raise Invalid("empty")
    if n == 64:
        if any(c not in HEX for c in s):
            raise Invalid("non-hex character")
        digest = bytes.fromhex(s)
    elif n == 44:
        if not BASE64_44.match(s):
            raise Invalid("invalid base64")
        if s.endswith("==") or not s.endswith("="):
            raise Invalid("base64 does not decode to 32 bytes")
        if BASE64_ALPHABET.index(s[42]) & 3:
            raise Invalid("non-canonical base64")
        digest = base64.b64decode(s, validate=True)
    else:
        raise Invalid("not 64 hex or 44 base64 characters")
    if digest.hex() == EMPTY_SHA256:
        raise Invalid("SHA-256 of the empty string")
    return digest, digest.hex()


def digest_of(typ, raw, region):
    """Returns (normalized, d); raises Invalid or NeedsPhoneMetadata."""
    s = trim(raw)
    if typ == "sha256":
        d, norm = parse_hash(s)
        return norm, d
    if typ == "email":
        norm = normalize_email(s)
    elif typ == "phone":
        norm = normalize_phone(s, region)
    elif typ == "maid":
        norm = normalize_maid(s)
    else:
        raise Mismatch("type", "not email, phone, maid or sha256")
    return norm, hashlib.sha256(norm.encode("utf-8")).digest()


# ---------------------------------------------------------------------------
# Strict reading of the vector files

SUITE = "ristretto255-SHA512"
DST = "BLINDJOIN-V1-CS01-with-ristretto255_XMD:SHA-512_R255MAP_RO_"


class Mismatch(Exception):
    def __init__(self, field, reason):
        super().__init__(f"{field}: {reason}")


def no_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError(f"key {k!r} appears twice")
        obj[k] = v
    return obj


def load(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"), object_pairs_hook=no_duplicates)


def keys_of(obj, required, optional=()):
    if not isinstance(obj, dict):
        raise Mismatch("(object)", "not a JSON object")
    for k in obj:
        if k not in required and k not in optional:
            raise Mismatch(k, "unknown key")
    for k in required:
        if k not in obj:
            raise Mismatch(k, "missing")


def string(obj, key):
    v = obj.get(key, "")
    if not isinstance(v, str):
        raise Mismatch(key, "not a string")
    return v


def lower_hex(obj, key, size=None):
    v = string(obj, key)
    if not re.fullmatch(r"(?:[0-9a-f]{2})*", v) or (size is not None and len(v) != 2 * size):
        raise Mismatch(key, "not lower-case hex" + (f" of {size} bytes" if size else ""))
    return bytes.fromhex(v)


def parse_scalar(obj, key):
    k = int.from_bytes(lower_hex(obj, key, 32), "little")
    if k == 0 or k >= L:
        raise Mismatch(key, "not a canonical non-zero scalar")
    return k


class Replay:
    def __init__(self):
        self.checked = 0
        self.national = 0  # phone numbers whose normalization or rejection needs libphonenumber

    def file(self, doc):
        sections = ("records", "encodings", "intersections", "multikey")
        keyed = any(s in doc for s in ("records", "intersections", "multikey"))
        keys_of(doc, ("description", "suite", "dst") + (("key_a", "key_b") if keyed else ()), sections)
        if not string(doc, "description"):
            raise Mismatch("description", "empty")
        if doc["suite"] != SUITE:
            raise Mismatch("suite", "not " + SUITE)
        if doc["dst"] != DST:
            raise Mismatch("dst", "not the DST of protocol v1")
        if not any(doc.get(s) for s in sections):
            raise Mismatch("(file)", "no records, encodings, intersections or multi-key sessions")
        if keyed:
            self.key_a, self.key_b = parse_scalar(doc, "key_a"), parse_scalar(doc, "key_b")
        for i, rec in enumerate(doc.get("records", [])):
            self.at(f"records[{i}]", self.record, rec, "a")
            self.checked += 1
        for i, enc in enumerate(doc.get("encodings", [])):
            self.at(f"encodings[{i}]", self.encoding, enc)
            self.checked += 1
        for i, x in enumerate(doc.get("intersections", [])):
            self.intersection(f"intersections[{i}]", x)
        for i, m in enumerate(doc.get("multikey", [])):
            self.multikey(f"multikey[{i}]", m)

    @staticmethod
    def at(path, fn, *args):
        try:
            return fn(*args)
        except Mismatch as e:
            raise Mismatch(path, str(e)) from None

    def record(self, rec, side):
        """Replays one record of side "a" (the advertiser: records.json and an
        intersection's a) or "b" (the media partner: an intersection's b).
        Returns its blinded_ab."""
        # Every valid record has the advertiser's order of blinding; the
        # media partner's also has its own (README, section 3).
        orders = [("blinded_a", "blinded_ab", self.key_a, self.key_b)]
        if side == "b":
            orders.append(("blinded_b", "blinded_ba", self.key_b, self.key_a))
        base = ("type", "input", "expect")
        if string(rec, "expect") == "invalid":
            keys_of(rec, base + ("reason",), ("comment", "region"))
            try:
                digest_of(string(rec, "type"), string(rec, "input"), string(rec, "region"))
            except Invalid as e:
                if e.args[0] != rec["reason"]:
                    raise Mismatch("reason", f"input rejected as {e.args[0]!r}") from None
                return None
            except NeedsPhoneMetadata:
                if rec["reason"] not in PHONE_METADATA_REASONS:
                    raise Mismatch("reason", "not a reason the input can have") from None
                self.national += 1
                return None
            raise Mismatch("input", "accepted, expected invalid")
        if rec.get("expect") != "valid":
            raise Mismatch("expect", 'not "valid" or "invalid"')
        blinded = tuple(k for order in orders for k in order[:2])
        keys_of(rec, base + ("normalized", "sha256", "element") + blinded + ("join_digest",), ("comment", "region"))
        typ, region = string(rec, "type"), string(rec, "region")
        try:
            norm, d = digest_of(typ, string(rec, "input"), region)
        except Invalid as e:
            raise Mismatch("input", f"rejected ({e.args[0]}), expected valid") from None
        except NeedsPhoneMetadata:
            # The one step this replay cannot do: start from the file's
            # normalized value, after checking that it is valid E.164.
            norm = string(rec, "normalized")
            try:
                check_e164(norm)
            except Invalid:
                raise Mismatch("normalized", "not valid E.164") from None
            d = hashlib.sha256(norm.encode()).digest()
            self.national += 1
        if norm != rec["normalized"]:
            raise Mismatch("normalized", "differs from the normalized input")
        if d != lower_hex(rec, "sha256", 32):
            raise Mismatch("sha256", "differs from the digest of the input")
        element = hash_to_ristretto255(d, DST.encode())
        if encode(element) != lower_hex(rec, "element", 32):
            raise Mismatch("element", "differs from hash_to_ristretto255(sha256, dst)")
        for once_key, twice_key, first, second in orders:
            once = lower_hex(rec, once_key, 32)
            if encode(scalar_mult(first, element)) != once:
                raise Mismatch(once_key, "differs from the first key times element")
            received, reason = decode_element(once)
            if received is None:
                raise Mismatch(once_key, "does not decode: " + reason)
            if encode(scalar_mult(second, received)) != lower_hex(rec, twice_key, 32):
                raise Mismatch(twice_key, f"differs from the second key times {once_key}")
        ab = lower_hex(rec, "blinded_ab", 32)
        if side == "b" and lower_hex(rec, "blinded_ba", 32) != ab:
            raise Mismatch("blinded_ba", "differs from blinded_ab")
        if join_digest(ab) != lower_hex(rec, "join_digest", 16):
            raise Mismatch("join_digest", "differs from the join digest of blinded_ab")
        return ab

    def encoding(self, enc):
        valid = enc.get("valid")
        keys_of(enc, ("encoding", "valid") + (() if valid is True else ("reason",)), ("comment",))
        if not isinstance(valid, bool):
            raise Mismatch("valid", "not true or false")
        b = lower_hex(enc, "encoding")
        point, reason = decode_element(b)
        if valid:
            if point is None:
                raise Mismatch("encoding", f"rejected ({reason}), expected valid")
            if encode(point) != b:
                raise Mismatch("encoding", "does not re-encode to itself")
        elif point is not None:
            raise Mismatch("encoding", "accepted, expected invalid")
        elif reason != enc["reason"]:
            raise Mismatch("reason", f"rejected as {reason!r}")

    def intersection(self, path, x):
        self.at(path, keys_of, x, ("a", "b", "overlap"), ("comment",))
        # overlap: the number of distinct blinded_ab values present in both
        # arrays (equivalently distinct join digests, each checked above).
        blinded_ab = {}
        for side in ("a", "b"):
            blinded_ab[side] = set()
            for i, rec in enumerate(x[side]):
                if isinstance(rec, dict) and rec.get("expect") != "valid":
                    raise Mismatch(f"{path}.{side}[{i}]", "expect: an intersection holds valid records only")
                blinded_ab[side].add(self.at(f"{path}.{side}[{i}]", self.record, rec, side))
                self.checked += 1
        overlap = len(blinded_ab["a"] & blinded_ab["b"])
        if type(x["overlap"]) is not int or overlap != x["overlap"]:
            raise Mismatch(path, f"overlap: the blinded_ab values give {overlap}, the file says {x['overlap']!r}")
        self.checked += 1

    def multikey(self, path, m):
        """A multi-key session (README section 8.1): every record of every
        row, then each outcome against the rules over the join digests."""
        self.at(path, keys_of, m, ("match_keys", "a", "b", "outcomes"), ("comment",))
        keys = m["match_keys"]
        if (not isinstance(keys, list) or not 1 <= len(keys) <= len(MATCH_KEYS)
                or len(set(keys)) != len(keys) or any(k not in MATCH_KEYS for k in keys)):
            raise Mismatch(path, "match_keys: not one to three distinct keys among email, phone, maid")
        rows = {}
        for side in ("a", "b"):
            rows[side] = []
            for i, row in enumerate(m[side]):
                at = f"{path}.{side}[{i}]"
                self.at(at, keys_of, row, (), ("comment",) + MATCH_KEYS)
                digests = [None] * len(keys)
                for k in MATCH_KEYS:
                    if k not in row:
                        continue
                    rec = row[k]
                    if k not in keys:
                        raise Mismatch(f"{at}.{k}", "a record for a key the session does not match on")
                    if not isinstance(rec, dict) or rec.get("expect") != "valid":
                        raise Mismatch(f"{at}.{k}", "expect: a multi-key row holds valid records only")
                    if rec.get("type") not in (k, "sha256"):
                        raise Mismatch(f"{at}.{k}", "type: neither the key nor sha256")
                    ab = self.at(f"{at}.{k}", self.record, rec, side)
                    digests[keys.index(k)] = join_digest(ab)
                    self.checked += 1
                if all(d is None for d in digests):
                    raise Mismatch(at, "a row without any key")
                rows[side].append(digests)
        if not m["outcomes"]:
            raise Mismatch(path, "outcomes: none")
        for i, o in enumerate(m["outcomes"]):
            self.at(f"{path}.outcomes[{i}]", self.outcome, o, keys, rows["a"], rows["b"])
            self.checked += 1

    @staticmethod
    def outcome(o, keys, a, b):
        keys_of(o, ("duplicates", "conflicts", "rounds", "overlap", "links"))
        if o["duplicates"] not in ("first", "drop"):
            raise Mismatch("duplicates", 'not "first" or "drop"')
        if o["conflicts"] not in ("block", "ignore"):
            raise Mismatch("conflicts", 'not "block" or "ignore"')
        rounds, links = waterfall(len(keys), o["duplicates"] == "drop", o["conflicts"] == "block", a, b)
        if not isinstance(o["rounds"], list) or len(o["rounds"]) != len(keys):
            raise Mismatch("rounds", "not one per key")
        for t, r in enumerate(o["rounds"]):
            keys_of(r, ("key", "pairs"))
            if r["key"] != keys[t] or type(r["pairs"]) is not int or r["pairs"] != rounds[t]:
                raise Mismatch(f"rounds[{t}]", f"the rules give {keys[t]} {rounds[t]}")
        if type(o["overlap"]) is not int or o["overlap"] != sum(rounds):
            raise Mismatch("overlap", f"the rules give {sum(rounds)}")
        if not isinstance(o["links"], list) or len(o["links"]) != len(links):
            raise Mismatch("links", f"the rules give {len(links)} links")
        for i, (l, (ai, bi, t)) in enumerate(zip(o["links"], links)):
            keys_of(l, ("a", "b", "key"))
            if type(l["a"]) is not int or type(l["b"]) is not int or (l["a"], l["b"], l["key"]) != (ai, bi, keys[t]):
                raise Mismatch(f"links[{i}]", f"the rules give a{ai}-b{bi} on {keys[t]}")


MATCH_KEYS = ("email", "phone", "maid")


def dedupe(n, drop, rows):
    """Rule 2: per key, a value on several rows stays on the first of them,
    or (drop) on none. rows are lists of join digests by key, None where
    absent; a copy is returned."""
    out = [list(r) for r in rows]
    for k in range(n):
        count = {}
        for r in rows:
            if r[k] is not None:
                count[r[k]] = count.get(r[k], 0) + 1
        seen = set()
        for r in out:
            v = r[k]
            if v is None:
                continue
            if v in seen or (drop and count[v] > 1):
                r[k] = None
            seen.add(v)
    return out


def waterfall(n, drop, block, a, b):
    """Rules 2 to 4: returns the pairs of each round and the links
    (advertiser row, partner row, key index) in the order they are made."""
    a, b = dedupe(n, drop, a), dedupe(n, drop, b)
    rounds, links, linked_a, linked_b = [0] * n, [], set(), set()
    for t in range(n):
        for i, ra in enumerate(a):
            for j, rb in enumerate(b):
                if i in linked_a or j in linked_b or ra[t] is None or ra[t] != rb[t]:
                    continue
                if block and any(ra[k] is not None and rb[k] is not None for k in range(t)):
                    continue
                linked_a.add(i)
                linked_b.add(j)
                rounds[t] += 1
                links.append((i, j, t))
    return rounds, links


# ---------------------------------------------------------------------------
# Upstream RFC vectors: this implementation against the published values


def upstream_rfc9380(doc):
    dst = doc["DST"].encode()
    for t in doc["tests"]:
        out, dst_prime, msg_prime = expand_message_xmd(t["msg"].encode(), dst, int(t["len_in_bytes"], 16))
        for name, got in (("DST_prime", dst_prime), ("msg_prime", msg_prime), ("uniform_bytes", out)):
            if got.hex() != t[name]:
                raise Mismatch(f"tests[msg={t['msg'][:16]!r}]", f"{name} differs")
    return len(doc["tests"])


def upstream_rfc9496(doc):
    multiples = doc["multiples_of_generator"]["B"]
    base, _ = rfc_decode(bytes.fromhex(multiples[1]))
    for i, want in enumerate(multiples):
        if encode(scalar_mult(i, base)) != bytes.fromhex(want):
            raise Mismatch(f"B[{i}]", "differs from i * B")
        point, _ = rfc_decode(bytes.fromhex(want))
        if point is None or encode(point) != bytes.fromhex(want):
            raise Mismatch(f"B[{i}]", "does not decode and re-encode")
    bad = doc["invalid_encodings"]["encodings"]
    for i, h in enumerate(bad):
        if rfc_decode(bytes.fromhex(h))[0] is not None:
            raise Mismatch(f"invalid_encodings[{i}]", "accepted")
    derivation = doc["element_derivation"]
    pairs = [(v["I"], v["O"]) for v in derivation["vectors"]]
    pairs += [(i, derivation["same_output"]["O"]) for i in derivation["same_output"]["I"]]
    for i, (inp, out) in enumerate(pairs):
        if encode(element_derivation(bytes.fromhex(inp))).hex() != out:
            raise Mismatch(f"element_derivation[{i}]", "differs")
    return len(multiples) + len(bad) + len(pairs)


def upstream_rfc9497(doc):
    context = b"OPRFV1-" + bytes([doc["mode"]]) + b"-" + doc["identifier"].encode()

    def hash_to_scalar(msg, dst):
        return int.from_bytes(expand_message_xmd(msg, dst, 64)[0], "little") % L

    info = bytes.fromhex(doc["KeyInfo"])
    derive_input = bytes.fromhex(doc["Seed"]) + len(info).to_bytes(2, "big") + info
    sk, counter = 0, 0
    while sk == 0:
        sk = hash_to_scalar(derive_input + bytes([counter]), b"DeriveKeyPair" + context)
        counter += 1
    if sk.to_bytes(32, "little").hex() != doc["skSm"]:
        raise Mismatch("skSm", "differs from DeriveKeyPair(Seed, KeyInfo)")
    for v in doc["vectors"]:
        inp, blind = bytes.fromhex(v["Input"]), int.from_bytes(bytes.fromhex(v["Blind"]), "little")
        blinded = scalar_mult(blind, hash_to_ristretto255(inp, b"HashToGroup-" + context))
        if encode(blinded).hex() != v["BlindedElement"]:
            raise Mismatch(v["name"], "BlindedElement differs")
        evaluated = scalar_mult(sk, blinded)
        if encode(evaluated).hex() != v["EvaluationElement"]:
            raise Mismatch(v["name"], "EvaluationElement differs")
        unblinded = encode(scalar_mult(pow(blind, -1, L), evaluated))
        transcript = len(inp).to_bytes(2, "big") + inp + (32).to_bytes(2, "big") + unblinded + b"Finalize"
        if hashlib.sha512(transcript).hexdigest() != v["Output"]:
            raise Mismatch(v["name"], "Output differs")
    return 1 + len(doc["vectors"])


UPSTREAM = {
    "rfc9380_expand_message_xmd_sha512.json": upstream_rfc9380,
    "rfc9496_ristretto255.json": upstream_rfc9496,
    "rfc9497_oprf_ristretto255_sha512.json": upstream_rfc9497,
}


# ---------------------------------------------------------------------------


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1].startswith("-")):
        print(__doc__.split("\n\n")[2], file=sys.stderr)
        return 2
    root = argv[1] if len(argv) == 2 else os.path.dirname(os.path.abspath(__file__))
    start = time.perf_counter()
    try:
        names = sorted(n for n in os.listdir(root) if n.endswith(".json"))
    except OSError as e:
        print(f"replay.py: {e}", file=sys.stderr)
        return 1
    jobs = [(n, os.path.join(root, n), None) for n in names]
    upstream = os.path.join(root, "upstream")
    if os.path.isdir(upstream):
        jobs += [(f"upstream/{n}", os.path.join(upstream, n), fn) for n, fn in sorted(UPSTREAM.items())]
    if not names:
        print(f"replay.py: no *.json vector files in {root}", file=sys.stderr)
        return 1
    failed = total = 0
    for name, path, upstream_fn in jobs:
        r = Replay()
        note = ""
        try:
            doc = load(path)
            if upstream_fn:
                r.checked = upstream_fn(doc)
            else:
                r.file(doc)
            status = "ok"
            if r.national:
                note = f" ({r.national} phone number(s) taken as given: checking them against the numbering plan needs libphonenumber)"
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, Mismatch, Invalid) as e:
            failed += 1
            status = f"FAILED: {e}"
        total += r.checked
        print(f"{name:<46} {r.checked:4d} checked  {status}{note}")
    elapsed = time.perf_counter() - start
    verdict = "all ok" if failed == 0 else f"{failed} files FAILED"
    print(f"total: {len(jobs)} files, {total} vectors checked, {verdict} ({elapsed:.2f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
