#!/usr/bin/env python3
"""A chat peer that behaves on the wire like the seed's client.py, for the interop tests.

Like the seed's client it sends each stdin line as the bare bytes of Fernet.encrypt(line) —
plain text inside, no envelope, no name, no LF after the token — and takes each recv(4096) to be
exactly one token, which it decrypts. Unlike the seed's client it reports what happens as JSON
lines on stdout, so that a test can follow it:

  {"event": "connected"}
  {"event": "sent", "text": "...", "bytes": N}            after sendall() of one token
  {"event": "received", "text": "...", "bytes": N}        one recv() that decrypted
  {"event": "error", "detail": "...", "bytes": N}         one recv() that did not (the seed's
                                                          client dies here; so does this one)
  {"event": "closed"}                                     the server closed the connection

Usage: seed_peer.py --port N (--key KEY | --chave chave.key) [--host 127.0.0.1]

--chave loads the seed's chave.key with pickle.load, exactly as the seed does: pickle runs code,
so only give it a file you trust (the tests use fixtures/seed/chave-p4.key, never an evil-* one).
At the end of stdin the peer closes its socket and exits 0.
"""

import argparse
import json
import pickle
import socket
import sys
import threading

from cryptography.fernet import Fernet

# One lock, so that the two threads never interleave their output lines.
_print_lock = threading.Lock()


def report(**fields):
    with _print_lock:
        sys.stdout.write(json.dumps(fields) + "\n")
        sys.stdout.flush()


def recv_messages(cliente, chave):
    # The seed's recvMessages: one recv(4096) is taken to be one whole token.
    while True:
        try:
            msg = cliente.recv(4096)
        except OSError as error:
            report(event="closed", detail=str(error))
            return
        if not msg:
            report(event="closed")
            return
        try:
            text = chave.decrypt(msg).decode("utf-8", errors="backslashreplace")
        except Exception as error:  # the seed prints the exception and closes
            report(event="error", detail=f"{type(error).__name__}: {error}", bytes=len(msg))
            cliente.close()
            return
        report(event="received", text=text, bytes=len(msg))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--key", help="a Fernet key (44 base64url characters)")
    source.add_argument("--chave", help="the seed's pickled chave.key (trusted files only)")
    args = parser.parse_args()

    if args.chave is not None:
        with open(args.chave, "rb") as file:
            chave = pickle.load(file)
    else:
        chave = Fernet(args.key.encode("ascii"))

    cliente = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    cliente.connect((args.host, args.port))
    report(event="connected")
    threading.Thread(target=recv_messages, args=[cliente, chave], daemon=True).start()

    # The seed's sendMessages: each typed line, encrypted, sent as it is.
    for line in sys.stdin:
        text = line.rstrip("\n")
        token = chave.encrypt(bytes(text, "utf-8"))
        try:
            cliente.sendall(token)
        except OSError as error:
            report(event="closed", detail=str(error))
            break
        report(event="sent", text=text, bytes=len(token))
    try:
        cliente.close()
    except OSError:
        pass


if __name__ == "__main__":
    main()
