#!/usr/bin/env python3
"""A chat peer whose tokens are made by Python's `cryptography`, for scripts/record-fixture.ts.

It speaks fernet-chat's line protocol over a raw socket (one token per line, LF-ended) and takes
its orders from stdin, one per line, so that the recording script can interleave it with the
real client bin:

  join                 send a join envelope
  say TEXT             send a message envelope
  bare TEXT            send TEXT as bare UTF-8, as the seed's client.py does (no envelope)
  leave                send a leave envelope
  quit                 close the socket and exit 0

It reports on stdout as JSON lines: {"event": "hello", "notice": "..."} when the hub greets it,
{"event": "sent", "order": "..."} after each order, {"event": "received", "text": "..."} for each
token it decrypts, {"event": "notice", "notice": "..."} for other notices.

Usage: fixture-python-peer.py --port N --name NAME, with the key in FERNET_CHAT_FIXTURE_KEY.
"""

import argparse
import json
import os
import socket
import sys
import threading
import uuid
from datetime import datetime, timezone

from cryptography.fernet import Fernet, InvalidToken

_lock = threading.Lock()


def report(**fields):
    with _lock:
        sys.stdout.write(json.dumps(fields, ensure_ascii=False, separators=(",", ":")) + "\n")
        sys.stdout.flush()


def envelope(kind, name, text):
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    fields = {"v": 1, "kind": kind, "from": name, "text": text, "id": str(uuid.uuid4()), "at": now}
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def receive(sock, fernet):
    buffered = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return
        buffered += chunk
        *lines, buffered = buffered.split(b"\n")
        for line in lines:
            text = line.decode("utf-8", "replace")
            if text.startswith("#hello "):
                report(event="hello", notice=text)
            elif text.startswith("#"):
                report(event="notice", notice=text)
            else:
                try:
                    report(event="received", text=fernet.decrypt(line, ttl=3600).decode("utf-8"))
                except InvalidToken:
                    report(event="unreadable")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    fernet = Fernet(os.environ["FERNET_CHAT_FIXTURE_KEY"].encode("ascii"))
    sock = socket.create_connection((args.host, args.port))
    threading.Thread(target=receive, args=(sock, fernet), daemon=True).start()
    for order in sys.stdin:
        order = order.rstrip("\n")
        word, _, text = order.partition(" ")
        if word == "quit":
            break
        if word in ("join", "say", "leave"):
            plaintext = envelope({"say": "message"}.get(word, word), args.name, text)
        elif word == "bare":
            plaintext = text.encode("utf-8")
        else:
            raise SystemExit(f"unknown order {order!r}")
        sock.sendall(fernet.encrypt(plaintext) + b"\n")
        report(event="sent", order=order)
    sock.close()


if __name__ == "__main__":
    main()
