"""Runs the second client against a parlor server and prints one JSON object a line.

  scenario.py chat HOST PORT FINGERPRINT PASSWORD NAME PEER
      logs in as NAME, talks in the lobby, sends PEER end-to-end DMs, runs a bot command, makes a
      secret room and seals a message to PEER once PEER joins it, then waits for PEER's room
      message and sealed DM; steps print as {"step": ...}.
  scenario.py malformed HOST PORT FINGERPRINT PASSWORD
      sends each malformed input on a connection of its own and prints what came back as
      {"case", "answer": "error"|"closing"|"handshake-error"|"eof", "code", "re"?, "open"?}.
  scenario.py crowded HOST PORT FINGERPRINT PASSWORD
      holds one connection that has not logged in, then opens another (for a server whose
      per-address cap of such connections is 1) and prints what the second one got.
"""

import json
import struct
import sys

from parlor_wire import (Closed, Connection, Identity, PeerKey, ProtocolError, RECORD_JSON, fold,
                         handshake_error, open_envelope, record, seal_envelope)


def emit(**fields):
    print(json.dumps(fields), flush=True)


def chat(host, port, fingerprint, password, name, peer):
    identity = Identity()
    conn = Connection(host, int(port), timeout=30.0)
    welcome = conn.handshake(identity, fingerprint)
    emit(step="welcome", server=welcome["server"]["fingerprint"], you=welcome["you"]["fingerprint"],
         mine=identity.fingerprint, pinned=conn.server_fingerprint)
    login = conn.request("login", name=name, password=password)
    emit(step="login", name=login["name"], fingerprint=login["fingerprint"])
    joined = conn.request("join", room="lobby")
    emit(step="joined", room=joined["room"], members=joined["members"])
    said = [conn.request("say", room="lobby", text=text) for text in ("hello from python", "!!literal from python")]
    emit(step="said", ids=[s["id"] for s in said])
    # 4.1: `members` is a count in `rooms`, a list of names in `join`, a list of objects in `members`.
    lobby = next(room for room in conn.request("rooms")["rooms"] if room["name"] == "lobby")
    emit(step="rooms", lobby=lobby, members=conn.request("members", room="lobby")["members"])

    me = fold(login["name"])
    known = {me: PeerKey(login["name"], identity.e, identity.n)}
    whois = conn.request("whois", name=peer)
    known[fold(whois["name"])] = PeerKey.from_wire(whois)
    emit(step="peer-key", name=whois["name"], fingerprint=whois["fingerprint"], online=whois["online"])
    sealed = seal_envelope(identity, 2, peer, login["name"], "sealed hello from python", [known[fold(peer)]])
    dm = conn.request("e2e_dm", to=peer, sealed=sealed, nonce="pyclient-dm-00001")
    emit(step="dm-sent", id=dm["id"], to=dm["to"])
    # Genuine, but sealed to this client alone: the receiver's verdict is "not sealed to you" (8.3).
    only_mine = seal_envelope(identity, 2, peer, login["name"], "not for you", [])
    emit(step="dm-not-sealed-to-peer", id=conn.request("e2e_dm", to=peer, sealed=only_mine)["id"])
    command = conn.request("command", text="!echo hi from python")
    emit(step="command", command=command["command"], reply=command["reply"])

    # A secret room (8): plaintext is refused; a member who joins brings its key in `joined`.
    created = conn.request("create", room="pysecret", secret=True)
    try:
        conn.request("say", room="pysecret", text="in clear")
        refused = None
    except ProtocolError as error:
        refused = error.code
    emit(step="secret-created", secret=created.get("secret"), keys=[k["name"] for k in created["keys"]], plaintext=refused)
    joined = conn.expect(lambda m: m.get("type") == "joined" and m["room"] == created["room"])
    newcomer = PeerKey.from_wire(joined["key"])
    sealed = seal_envelope(identity, 1, created["room"], login["name"], "sealed to the room", [newcomer])
    emit(step="secret-said", id=conn.request("e2e_say", room=created["room"], sealed=sealed)["id"], to=newcomer.name)

    emit(step="waiting")
    seen = {}
    room = conn.expect(lambda m: m.get("type") == "message" and m.get("room") is not None and m["from"] == whois["name"])
    emit(step="room-received", room=room["room"], text=room["text"], sealed="sealed" in room)
    direct = conn.expect(lambda m: m.get("type") == "message" and m.get("to") is not None and "sealed" in m)
    text = open_envelope(identity, me, direct, known, seen)
    emit(step="dm-received", frm=direct["from"], to=direct["to"], text=text, plaintext_field=direct["text"])
    conn.close()
    emit(step="done")


# --- malformed input: what the server answers, case by case -------------------------------------

def observe(conn):
    """The server's answer to what was just sent, and whether the connection still answers."""
    try:
        answer = conn.expect(lambda m: m.get("type") in ("error", "reply"))
    except Closed as closed:
        return {"answer": closed.how, "code": closed.code}
    seen = {"answer": answer["type"], "code": answer.get("code"), "re": answer.get("re")}
    try:
        conn.request("ping")
        seen["open"] = True
    except (Closed, OSError):
        seen["open"] = False
    return seen


def sealed_case(identity, target, send, login=None):
    """A fresh connection through the handshake (and a login), then `send(conn)`."""
    conn = Connection(*target["address"])
    try:
        conn.handshake(identity, target["fingerprint"])
        if login:
            conn.request("login", name=login, password=target["password"])
        send(conn)
        return observe(conn)
    finally:
        conn.close()


def handshake_case(identity, target, hello=None, finished=None, raw=None):
    """A fresh connection whose handshake is replaced in part (or by raw bytes)."""
    conn = Connection(*target["address"])
    try:
        if raw is not None:
            conn.sock.sendall(raw)
            payload = conn.recv_frame(2048)
            if payload[:1] != b"\x7f":
                return {"answer": "unexpected", "code": payload[:1].hex()}
            closed = handshake_error(payload)
        else:
            try:
                conn.handshake(identity, target["fingerprint"], hello=hello(conn) if hello else None, finished=finished)
                conn.send_json({"id": 1, "type": "ping"})  # served in full: a ping is answered
                return observe(conn)
            except Closed as error:
                closed = error
        return {"answer": closed.how, "code": closed.code, "supportedVersions": getattr(closed, "supported_versions", None)}
    finally:
        conn.close()


def malformed(host, port, fingerprint, password):
    identity = Identity()
    target = {"address": (host, int(port)), "fingerprint": fingerprint, "password": password}
    json_record = lambda text: record(RECORD_JSON, text.encode())  # noqa: E731

    def hello_with(change):
        return lambda conn: change(conn.client_hello(identity))

    def padded_exponent(hello):
        e_at = 6 + 32
        return hello[:e_at] + bytes([hello[e_at] + 1, 0]) + hello[e_at + 1:]

    def replayed(conn):
        conn.request("ping")
        conn.send_plaintext(json_record('{"id": 2, "type": "ping"}'), counter=0)

    def altered(conn):
        frame = bytearray(conn.seal(json_record('{"id": 2, "type": "ping"}')))
        frame[10] ^= 0x01
        conn.send_frame(bytes(frame))

    cases = {
        # 3.1: what the server does with a frame that opens but whose plaintext is wrong.
        "bad-json": lambda: sealed_case(identity, target, lambda c: c.send_plaintext(json_record('{"id": 1, "type":'))),
        "empty-json-body": lambda: sealed_case(identity, target, lambda c: c.send_plaintext(record(RECORD_JSON, b""))),
        "not-an-object": lambda: sealed_case(identity, target, lambda c: c.send_plaintext(json_record("[1, 2, 3]"))),
        "a-string": lambda: sealed_case(identity, target, lambda c: c.send_plaintext(json_record('"ping"'))),
        "empty-plaintext": lambda: sealed_case(identity, target, lambda c: c.send_plaintext(b"")),
        "zero-length-record": lambda: sealed_case(identity, target, lambda c: c.send_plaintext(b"\0\0\0\0")),
        "overrunning-record": lambda: sealed_case(identity, target, lambda c: c.send_plaintext(struct.pack(">I", 100) + b"\x01{}")),
        "unknown-record-kind": lambda: sealed_case(identity, target, lambda c: c.send_plaintext(record(0x09, b"x"))),
        # 4.1: requests.
        "no-id": lambda: sealed_case(identity, target, lambda c: c.send_json({"type": "ping"})),
        "negative-id": lambda: sealed_case(identity, target, lambda c: c.send_json({"id": -1, "type": "ping"})),
        "unknown-type": lambda: sealed_case(identity, target, lambda c: c.send_json({"id": 5, "type": "teleport"})),
        "schema-broken": lambda: sealed_case(identity, target, lambda c: c.send_json({"id": 6, "type": "ping", "payload": 5})),
        "before-login": lambda: sealed_case(identity, target, lambda c: c.send_json({"id": 7, "type": "rooms"})),
        "command-as-chat": lambda: sealed_case(identity, target, lambda c: c.send_json({"id": 8, "type": "say", "room": "lobby", "text": "!echo x"}), login="pymalformed"),
        # 1 and 3: frames.
        "oversize-frame": lambda: sealed_case(identity, target, lambda c: c.sock.sendall(struct.pack(">I", 16 * 1024 + 1))),
        "short-sealed-frame": lambda: sealed_case(identity, target, lambda c: c.send_frame(b"\0" * 10)),
        "replayed-frame": lambda: sealed_case(identity, target, replayed),
        "skipped-counter": lambda: sealed_case(identity, target, lambda c: c.send_plaintext(json_record('{"id": 1, "type": "ping"}'), counter=5)),
        "altered-frame": lambda: sealed_case(identity, target, altered),
        # 2: the handshake.
        "oversize-handshake-frame": lambda: handshake_case(identity, target, raw=struct.pack(">I", 2049)),
        "wrong-version": lambda: handshake_case(identity, target, hello=hello_with(lambda h: h[:5] + b"\x02" + h[6:])),
        "bad-magic": lambda: handshake_case(identity, target, hello=hello_with(lambda h: h[:1] + b"XXXX" + h[5:])),
        "padded-exponent": lambda: handshake_case(identity, target, hello=hello_with(padded_exponent)),
        "wrong-client-finished": lambda: handshake_case(identity, target, finished=b"\x03" + b"\0" * 32),
    }
    for name, run in cases.items():
        try:
            emit(case=name, **run())
        except (ProtocolError, OSError) as error:
            emit(case=name, answer="exception", code=getattr(error, "code", type(error).__name__), message=str(error))
    emit(step="done")


def crowded(host, port, fingerprint, password):
    identity = Identity()
    target = {"address": (host, int(port)), "fingerprint": fingerprint, "password": password}
    first = Connection(host, int(port))
    first.handshake(identity, fingerprint)
    emit(case="over-the-cap", **handshake_case(identity, target))
    first.request("login", name="pycrowded", password=password)
    emit(case="after-a-login", **handshake_case(identity, target))
    first.close()
    emit(step="done")


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    try:
        {"chat": chat, "malformed": malformed, "crowded": crowded}[mode](*args)
    except ProtocolError as error:
        emit(step="error", code=error.code, message=error.message)
        sys.exit(1)
