"""Signed envelopes (docs/protocol.md, "Signed envelopes"), built from the description alone with
Python's cryptography: an independent check of fernet-chat's Ed25519 signatures.

stdin: one JSON request per line; stdout: one JSON answer per line.
  {"op": "verify", "chatKey": K, "token": T}
      -> {"ok": bool, "why": str}: opens T with Fernet key K, rebuilds the signed bytes and
         verifies the envelope's signature with its public key.
  {"op": "sign", "chatKey": K, "seed": hex, "envelope": {...}}
      -> {"token": T, "message": hex}: signs the envelope (made v2) with the Ed25519 seed and
         encrypts it with K.
"""
import base64
import hashlib
import json
import struct
import sys

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

CONTEXT = b"fernet-chat signed envelope v2\n"
ROOM_CONTEXT = b"fernet-chat room\n"


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def room_of(chat_key):
    return hashlib.sha256(ROOM_CONTEXT + base64.urlsafe_b64decode(chat_key)).digest()


def signed_bytes(room, envelope):
    fields = [
        envelope["kind"],
        envelope["from"],
        envelope["text"],
        envelope["id"],
        envelope["at"],
        str(envelope["peer"]) if "peer" in envelope else "",
        "true" if envelope.get("here") is True else "",
        envelope.get("was", ""),
        "true" if envelope.get("action") is True else "",
    ]
    out = CONTEXT + room
    for field in fields:
        data = field.encode("utf-8")
        out += struct.pack(">I", len(data)) + data
    return out


def verify(request):
    envelope = json.loads(Fernet(request["chatKey"]).decrypt(request["token"].encode("ascii")))
    if envelope.get("v") != 2:
        return {"ok": False, "why": "not a v2 envelope"}
    public = Ed25519PublicKey.from_public_bytes(b64url_decode(envelope["key"]))
    message = signed_bytes(room_of(request["chatKey"]), envelope)
    try:
        public.verify(b64url_decode(envelope["sig"]), message)
    except InvalidSignature:
        return {"ok": False, "why": "bad signature", "message": message.hex()}
    return {"ok": True, "why": "", "message": message.hex()}


def sign(request):
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(request["seed"]))
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    envelope = dict(request["envelope"], v=2)
    message = signed_bytes(room_of(request["chatKey"]), envelope)
    envelope["key"] = b64url_encode(public)
    envelope["sig"] = b64url_encode(private.sign(message))
    token = Fernet(request["chatKey"]).encrypt(json.dumps(envelope).encode("utf-8"))
    return {"token": token.decode("ascii"), "message": message.hex()}


for line in sys.stdin:
    if line.strip() == "":
        continue
    request = json.loads(line)
    answer = verify(request) if request["op"] == "verify" else sign(request)
    print(json.dumps(answer), flush=True)
