#!/usr/bin/env python3
"""Python's `cryptography.fernet` as an oracle for the TypeScript codec's interop tests.

Reads ONE JSON document on stdin, runs every operation in it, and writes ONE JSON document on
stdout, so that a whole test file costs one python3 start-up. Bytes travel as standard base64.

Input:  {"ops": [op, ...]}
Output: {"python": "3.11.2", "cryptography": "38.0.4", "results": [result, ...]}  (same order)

Operations (`keys` is a list of 44-character Fernet keys: one key uses Fernet, several use
MultiFernet, whose first key encrypts):

  {"op": "encrypt", "keys": [...], "plaintext": B64, "at": INT?}
      -> {"ok": true, "token": TEXT}            encrypt(), or encrypt_at_time(at) when "at" is given
  {"op": "encrypt_with_iv", "key": KEY, "plaintext": B64, "at": INT, "iv": B64}
      -> {"ok": true, "token": TEXT}            Fernet._encrypt_from_parts: a fixed IV, so that the
                                                token can be compared byte for byte (private API;
                                                {"ok": false, "error": "unsupported"} if it is gone)
  {"op": "decrypt", "keys": [...], "token": TEXT, "ttl": INT?, "now": INT?}
      -> {"ok": true, "plaintext": B64, "timestamp": INT} or {"ok": false, "error": "InvalidToken"}
                                                decrypt(token, ttl) without "now", decrypt_at_time(
                                                token, ttl, now) with it (which needs a ttl)
  {"op": "rotate", "keys": [...], "token": TEXT}
      -> {"ok": true, "token": TEXT} or {"ok": false, "error": "InvalidToken"}     MultiFernet.rotate

Any other failure is a bug in the caller: the script exits 1 with the traceback on stderr.
"""

import base64
import json
import sys

import cryptography
from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def fernet_of(keys):
    fernets = [Fernet(key.encode("ascii")) for key in keys]
    return fernets[0] if len(fernets) == 1 else MultiFernet(fernets)


def run(op):
    kind = op["op"]
    if kind == "encrypt":
        f = fernet_of(op["keys"])
        data = base64.b64decode(op["plaintext"])
        token = f.encrypt(data) if op.get("at") is None else f.encrypt_at_time(data, op["at"])
        return {"ok": True, "token": token.decode("ascii")}
    if kind == "encrypt_with_iv":
        f = Fernet(op["key"].encode("ascii"))
        if not hasattr(f, "_encrypt_from_parts"):
            return {"ok": False, "error": "unsupported"}
        data = base64.b64decode(op["plaintext"])
        token = f._encrypt_from_parts(data, op["at"], base64.b64decode(op["iv"]))
        return {"ok": True, "token": token.decode("ascii")}
    if kind == "decrypt":
        f = fernet_of(op["keys"])
        token = op["token"].encode("ascii")
        try:
            if op.get("now") is None:
                data = f.decrypt(token, op.get("ttl"))
            else:
                data = f.decrypt_at_time(token, op["ttl"], op["now"])
        except InvalidToken:
            return {"ok": False, "error": "InvalidToken"}
        # extract_timestamp checks the signature too; it is only reached for tokens that opened.
        stamp = fernet_of(op["keys"][:1]).extract_timestamp(token) if len(op["keys"]) == 1 else None
        return {"ok": True, "plaintext": base64.b64encode(data).decode("ascii"), "timestamp": stamp}
    if kind == "rotate":
        try:
            token = MultiFernet([Fernet(k.encode("ascii")) for k in op["keys"]]).rotate(op["token"].encode("ascii"))
        except InvalidToken:
            return {"ok": False, "error": "InvalidToken"}
        return {"ok": True, "token": token.decode("ascii")}
    raise ValueError(f"unknown op {kind!r}")


def main():
    request = json.load(sys.stdin)
    results = [run(op) for op in request["ops"]]
    version = ".".join(str(part) for part in sys.version_info[:3])
    json.dump({"python": version, "cryptography": cryptography.__version__, "results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
