"""A second parlor client, written from docs/protocol.md alone (not from src/).

The section numbers in comments are the document's. Standard library and `cryptography` only.
"""

import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import unicodedata

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = 1
HANDSHAKE_CAP = 2048            # 1: a handshake frame, either direction
SERVER_FRAME_CAP = 16 << 20     # 1: sealed, server -> client
RECORD_JSON = 0x01              # 3.1


class ProtocolError(Exception):
    """A parlor error code, as the peer told it or as this client found it."""

    def __init__(self, code, message=""):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Closed(ProtocolError):
    """The connection ended; `how` it was said: "closing" (3, 7), "handshake-error" (2.4) or "eof"."""

    def __init__(self, code, message="", how="eof"):
        super().__init__(code, message)
        self.how = how


# --- 6. Fingerprints ----------------------------------------------------------------------------

def _ssh_string(data):
    return struct.pack(">I", len(data)) + data


def _mpint(unsigned):
    unsigned = unsigned.lstrip(b"\0")
    if unsigned and unsigned[0] & 0x80:
        unsigned = b"\0" + unsigned
    return _ssh_string(unsigned)


def fingerprint_of_blob(blob):
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def ed25519_blob(raw):
    return _ssh_string(b"ssh-ed25519") + _ssh_string(raw)


def rsa_blob(e, n):
    return _ssh_string(b"ssh-rsa") + _mpint(e) + _mpint(n)


def int_bytes(value):
    """Minimal big-endian bytes of a positive integer (2.1)."""
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def b64decode(text):
    """Standard base64; the padding may be missing (8.1, 8.2)."""
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def fold(name):
    """A name as the envelope and lookups fold it (4.1, 8.2): NFC, lower case, no leading '#'."""
    name = name[1:] if name.startswith("#") else name
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).lower())


# --- the client's identity (2.1) ------------------------------------------------------------------

class Identity:
    def __init__(self):
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.private.public_key().public_numbers()
        self.e, self.n = int_bytes(numbers.e), int_bytes(numbers.n)
        self.blob = rsa_blob(self.e, self.n)
        self.fingerprint = fingerprint_of_blob(self.blob)


OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


# --- 1. Frames, 2. the handshake, 3. sealed frames ---------------------------------------------

class Connection:
    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buffer = b""
        self.send_counter = 0
        self.recv_counter = 0
        self.inbox = []          # messages that arrived while waiting for something else
        self.next_id = 1

    def close(self):
        self.sock.close()

    # 1. A frame is a 4-byte length, then that many bytes.
    def send_frame(self, payload):
        self.sock.sendall(struct.pack(">I", len(payload)) + payload)

    def recv_frame(self, cap):
        header = self._read(4)
        length = struct.unpack(">I", header)[0]
        if length > cap:
            raise ProtocolError("FRAME_TOO_LARGE", f"{length} bytes")
        return self._read(length, inside_frame=True)

    def _read(self, count, inside_frame=False):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                ended_inside = inside_frame or len(self.buffer) > 0
                raise Closed("FRAME_TRUNCATED" if ended_inside else "CONNECTION_CLOSED", "the stream ended", "eof")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    # 2. The handshake.
    def client_hello(self, identity, version=VERSION):
        self.ephemeral = x25519.X25519PrivateKey.generate()
        public = self.ephemeral.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return (bytes([0x01]) + b"PRLR" + bytes([version]) + public + bytes([len(identity.e)]) + identity.e
                + struct.pack(">H", len(identity.n)) + identity.n)

    def handshake(self, identity, pinned_fingerprint, hello=None, finished=None):
        """Runs 2.1-2.3; returns the welcome (4.2). `hello`/`finished` replace what is sent (tests)."""
        hello = hello if hello is not None else self.client_hello(identity)
        self.send_frame(hello)
        server_hello = self.recv_frame(HANDSHAKE_CAP)
        if server_hello[:1] == b"\x7f":
            raise handshake_error(server_hello)
        fields = parse_server_hello(server_hello)
        if fields["version"] != VERSION:                                          # 2.2 step 1
            raise ProtocolError("UNSUPPORTED_VERSION", str(fields["version"]))
        th1 = hashlib.sha256(hello + server_hello[:-64]).digest()
        try:                                                                      # 2.2 step 2
            ed25519.Ed25519PublicKey.from_public_bytes(fields["identity"]).verify(
                fields["signature"], b"parlor/1 server signature\0" + th1)
        except InvalidSignature:
            raise ProtocolError("BAD_SIGNATURE", "the ServerHello's signature does not verify")
        self.server_fingerprint = fingerprint_of_blob(ed25519_blob(fields["identity"]))
        if self.server_fingerprint != pinned_fingerprint:                          # 2.2 step 3
            raise ProtocolError("FINGERPRINT_MISMATCH", self.server_fingerprint)
        self.server_name = fields["name"]
        secret = identity.private.decrypt(fields["wrapped"], OAEP)                 # 2.2 step 4
        shared = self.ephemeral.exchange(x25519.X25519PublicKey.from_public_bytes(fields["ephemeral"]))
        th2 = hashlib.sha256(hello + server_hello).digest()                        # 2.3
        okm = HKDF(algorithm=hashes.SHA256(), length=96, salt=th2, info=b"parlor/1 session keys").derive(secret + shared)
        self.send_key, self.recv_key, finished_key = AESGCM(okm[:32]), AESGCM(okm[32:64]), okm[64:]
        if finished is None:
            finished = bytes([0x03]) + hmac.new(finished_key, b"parlor/1 client finished\0" + th2, hashlib.sha256).digest()
        self.send_frame(finished)
        return self.expect(lambda m: m.get("type") == "welcome")

    # 3. Sealed frames: an 8-byte counter (also the nonce's last 8 bytes), then AES-256-GCM.
    def seal(self, plaintext, counter=None):
        counter = self.send_counter if counter is None else counter
        self.send_counter = counter + 1
        nonce = b"\0" * 4 + struct.pack(">Q", counter)
        return struct.pack(">Q", counter) + self.send_key.encrypt(nonce, plaintext, None)

    def send_plaintext(self, plaintext, counter=None):
        self.send_frame(self.seal(plaintext, counter))

    def send_json(self, *messages):
        self.send_plaintext(b"".join(record(RECORD_JSON, json.dumps(m).encode()) for m in messages))

    def recv_messages(self):
        """Opens the next sealed frame; returns its JSON messages. A `closing` raises Closed."""
        payload = self.recv_frame(SERVER_FRAME_CAP)
        if self.recv_counter == 0 and payload[:1] == b"\x7f":
            raise handshake_error(payload)  # 2.4: ClientFinished refused (a sealed frame 0 starts 0x00)
        counter = struct.unpack(">Q", payload[:8])[0]
        if counter != self.recv_counter:
            raise ProtocolError("FRAME_OUT_OF_ORDER" if counter > self.recv_counter else "FRAME_REPLAYED")
        self.recv_counter += 1
        try:
            plaintext = self.recv_key.decrypt(b"\0" * 4 + payload[:8], payload[8:], None)
        except InvalidTag:
            raise ProtocolError("FRAME_AUTH_FAILED")
        messages = []
        for kind, body in split_records(plaintext):
            if kind != RECORD_JSON:
                continue                 # file chunks and windows (4.3): not used by this client
            message = json.loads(body)
            if message.get("type") == "closing":
                raise Closed(message["code"], message["message"], "closing")
            messages.append(message)
        return messages

    def expect(self, match):
        """The first message (already received or still to come) that matches."""
        while True:
            for message in self.inbox:
                if match(message):
                    self.inbox.remove(message)
                    return message
            self.inbox.extend(self.recv_messages())

    # 4.1 Requests and replies.
    def request(self, type_, **fields):
        """Sends a request; returns its reply's `data`, or raises its error's code."""
        request_id = self.next_id
        self.next_id += 1
        self.send_json({"id": request_id, "type": type_, **fields})
        answer = self.expect(lambda m: m.get("re") == request_id and m.get("type") in ("reply", "error"))
        if answer["type"] == "error":
            raise ProtocolError(answer["code"], answer["message"])
        return answer.get("data", {})

    def closing_code(self):
        """Reads until the server says `closing` (or the stream ends); returns the code."""
        try:
            while True:
                self.inbox.extend(self.recv_messages())
        except Closed as closed:
            return closed.code


def record(kind, body):
    """3.1: a 4-byte length of what follows, the kind byte, the body."""
    return struct.pack(">I", 1 + len(body)) + bytes([kind]) + body


def split_records(plaintext):
    records, offset = [], 0
    while offset < len(plaintext):
        length = struct.unpack(">I", plaintext[offset:offset + 4])[0]
        if length < 1 or offset + 4 + length > len(plaintext):
            raise ProtocolError("BAD_MESSAGE", "a record overruns its frame")
        records.append((plaintext[offset + 4], plaintext[offset + 5:offset + 4 + length]))
        offset += 4 + length
    if not records:
        raise ProtocolError("BAD_MESSAGE", "a sealed frame with no record")
    return records


def handshake_error(payload):
    """2.4: 0x7f, then UTF-8 JSON {code, message, supportedVersions?}, as a Closed to raise."""
    told = json.loads(payload[1:].decode("utf-8"))
    closed = Closed(told["code"], told.get("message", ""), "handshake-error")
    closed.supported_versions = told.get("supportedVersions")
    return closed


def parse_server_hello(payload):
    """2.2, field by field; anything out of shape is BAD_HANDSHAKE."""
    if len(payload) < 69 or payload[0] != 0x02:
        raise ProtocolError("BAD_HANDSHAKE", "not a ServerHello")
    w_len = struct.unpack(">H", payload[66:68])[0]
    name_at = 68 + w_len
    name_len = payload[name_at]
    if len(payload) != name_at + 1 + name_len + 64:
        raise ProtocolError("BAD_HANDSHAKE", "a ServerHello of the wrong length")
    return {
        "version": payload[1], "identity": payload[2:34], "ephemeral": payload[34:66],
        "wrapped": payload[68:name_at], "name": payload[name_at + 1:name_at + 1 + name_len].decode("utf-8"),
        "signature": payload[-64:],
    }


# --- 8. End-to-end envelopes ------------------------------------------------------------------

class PeerKey:
    """8.1: a peer's RSA identity key, as a name and the key's two integers."""

    def __init__(self, name, e, n):
        self.name, self.e, self.n = name, e, n
        self.blob = rsa_blob(e, n)
        self.fingerprint = fingerprint_of_blob(self.blob)
        self.public = rsa.RSAPublicNumbers(int.from_bytes(e, "big"), int.from_bytes(n, "big")).public_key()

    @classmethod
    def from_wire(cls, wire):
        """A peer key from the server, kept only if its fingerprint is what its integers give."""
        key = cls(wire["name"], b64decode(wire["exponent"]), b64decode(wire["modulus"]))
        if key.fingerprint != wire["fingerprint"]:
            raise ProtocolError("E2E_PEER_KEY_CHANGED", "a peer key whose fingerprint does not match it")
        return key


def seal_envelope(identity, scope, target, sender, text, recipients):
    """8.2: scope 1 = a room, 2 = a DM; `recipients` are PeerKeys (the sender is added)."""
    content_key, iv = os.urandom(32), os.urandom(12)
    target_b, sender_b = fold(target).encode(), fold(sender).encode()
    aad = (b"PE2E" + bytes([1, 0x01]) + os.urandom(16) + bytes([scope, len(target_b)]) + target_b
           + bytes([len(sender_b)]) + sender_b + bytes([len(identity.e)]) + identity.e
           + struct.pack(">H", len(identity.n)) + identity.n)
    ciphertext = AESGCM(content_key).encrypt(iv, text.encode(), aad)
    signed = aad + iv + struct.pack(">I", len(ciphertext)) + ciphertext
    wraps = {identity.blob: identity.private.public_key()}
    for peer in recipients:
        wraps[peer.blob] = peer.public
    out = signed + struct.pack(">H", len(wraps))
    for blob, key in wraps.items():
        wrapped = key.encrypt(content_key, OAEP)
        out += hashlib.sha256(blob).digest() + struct.pack(">H", len(wrapped)) + wrapped
    signature = identity.private.sign(b"parlor/1 e2e signature\0" + signed, PSS, hashes.SHA256())
    return base64.b64encode(out + struct.pack(">H", len(signature)) + signature).decode()


class EnvelopeReader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, count):
        if self.at + count > len(self.data):
            raise ProtocolError("E2E_MALFORMED", "cut short")
        self.at += count
        return self.data[self.at - count:self.at]

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]


def open_envelope(identity, me, message, known_peers, seen):
    """8.3, in the document's order. Returns the text, or None when nothing was wrapped to `me`."""
    data = b64decode(message["sealed"])
    r = EnvelopeReader(data)
    if r.take(4) != b"PE2E":
        raise ProtocolError("E2E_MALFORMED", "magic")
    version, kind = r.u8(), r.u8()
    if version not in (1, 2) or kind != 0x01:
        raise ProtocolError("E2E_MALFORMED", "version or kind")
    message_id, scope = r.take(16), r.u8()
    target, sender = r.take(r.u8()).decode(), r.take(r.u8()).decode()
    e, n = r.take(r.u8()), r.take(r.u16())
    if e != b"\x01\x00\x01" or not 256 <= len(n) <= 512 or n[0] == 0:
        raise ProtocolError("E2E_MALFORMED", "the sender's key is not encoded as in a ClientHello")
    if version == 2:
        r.take(8)  # sent_at: the sender's signed clock, not used here
    aad_end = r.at
    iv, c_len = r.take(12), struct.unpack(">I", r.take(4))[0]
    if c_len < 16:
        raise ProtocolError("E2E_MALFORMED", "a ciphertext shorter than its tag")
    ciphertext = r.take(c_len)
    signed_end = r.at
    wraps = [(r.take(32), r.take(r.u16())) for _ in range(r.u16())]
    signature = r.take(r.u16())
    if r.at != len(data) or not 1 <= len(wraps) <= 1024:
        raise ProtocolError("E2E_MALFORMED", "trailing bytes or a bad count")
    blob = rsa_blob(e, n)
    if sender != fold(message["from"]):
        raise ProtocolError("E2E_SENDER_MISMATCH", sender)
    known = known_peers.get(sender)
    if known is None or known.blob != blob:
        raise ProtocolError("E2E_PEER_KEY_CHANGED", sender)
    try:
        known.public.verify(signature, b"parlor/1 e2e signature\0" + data[:signed_end], PSS, hashes.SHA256())
    except InvalidSignature:
        raise ProtocolError("E2E_BAD_SIGNATURE", sender)
    if "room" in message:
        right_place = scope == 1 and target == fold(message["room"])
    else:
        right_place = scope == 2 and target == fold(message["to"]) and me in (target, sender)
    if not right_place:
        raise ProtocolError("E2E_WRONG_CONTEXT", target)
    if seen.setdefault(message_id, message["id"]) != message["id"]:
        raise ProtocolError("E2E_REPLAYED", message_id.hex())
    mine = hashlib.sha256(identity.blob).digest()
    wrapped = next((w for digest, w in wraps if digest == mine), None)
    if wrapped is None:
        return None                                                    # not sealed to you
    try:
        content_key = identity.private.decrypt(wrapped, OAEP)
        return AESGCM(content_key).decrypt(iv, ciphertext, data[:aad_end]).decode()
    except (ValueError, InvalidTag):
        raise ProtocolError("E2E_DECRYPT_FAILED", "")
