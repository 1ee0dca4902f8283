"""The admission key derivation of docs/protocol.md, by Python's cryptography: an independent
implementation to check ours against. Reads {"cases": [{"key", "message", "signature"}]} on stdin;
writes {"results": [{"publicKey", "signature", "verified"}]}: the public key and signature Python
derives, and whether it accepts the signature we made."""
import base64
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


results = []
for case in json.load(sys.stdin)["cases"]:
    ikm = base64.urlsafe_b64decode(case["key"])
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"fernet-chat/admission/v1").derive(ikm)
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key()
    message = case["message"].encode()
    try:
        public.verify(unb64(case["signature"]), message)
        verified = True
    except InvalidSignature:
        verified = False
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    results.append({"publicKey": b64(raw), "signature": b64(private.sign(message)), "verified": verified})
json.dump({"results": results}, sys.stdout)
