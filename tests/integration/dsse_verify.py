#!/usr/bin/python3
"""An independent DSSE / in-toto implementation for interoperability tests of sourcegate.

Written against the specifications (DSSE protocol v1, in-toto Statement v1; see
docs/attestations.md), not against sourcegate's code. Needs only Debian's python3-cryptography
(run it with /usr/bin/python3) and, for signing, the openssl command line.

  dsse_verify.py verify PUB.pem FILE.jsonl [ARTIFACT]
      Check every non-blank line: a signature with PUB.pem over PAE(payloadType, payload)
      (ECDSA P-256 SHA-256 DER, or Ed25519), payloadType application/vnd.in-toto+json,
      _type https://in-toto.io/Statement/v1, and with ARTIFACT that its sha256 or sha512 is a
      subject digest. Prints "VERIFIED <predicateType> subject=<name>" per envelope.
      Exit 0 when all verify, 1 when one does not, 2 on unusable input.

  dsse_verify.py sign KEY.pem OUT.jsonl ARTIFACT [--name NAME] [--type URI] [--payload-type T]
      Write one envelope about ARTIFACT, signed by the openssl command line over the PAE
      (`openssl dgst -sha256 -sign` for P-256, `openssl pkeyutl -sign -rawin` for Ed25519).

  dsse_verify.py keyid PUB.pem
      Print the OpenSSH-style key id (SHA256:...) and, on a second line, the key in OpenSSH
      public key format (for `ssh-keygen -l -E sha256 -f`).
"""
import base64
import binascii
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

INTOTO = "application/vnd.in-toto+json"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"


def pae(payload_type: str, body: bytes) -> bytes:
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def b64dec(s: str) -> bytes:
    """DSSE: accept standard and URL-safe base64, padded or not."""
    if not isinstance(s, str):
        raise ValueError("base64 field is not a string")
    padded = s + "=" * (-len(s) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except binascii.Error:
        return base64.b64decode(padded, altchars=b"-_", validate=True)


def load_public(path: str):
    with open(path, "rb") as f:
        key = serialization.load_pem_public_key(f.read())
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    raise ValueError("unsupported key type (want ECDSA P-256 or Ed25519)")


def keyid(key) -> str:
    """OpenSSH-style fingerprint of the SSH wire format of the public key."""
    def ssh_string(b: bytes) -> bytes:
        return len(b).to_bytes(4, "big") + b

    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        wire = ssh_string(b"ssh-ed25519") + ssh_string(raw)
    else:
        point = key.public_bytes(serialization.Encoding.X962,
                                 serialization.PublicFormat.UncompressedPoint)
        wire = ssh_string(b"ecdsa-sha2-nistp256") + ssh_string(b"nistp256") + ssh_string(point)
    digest = base64.b64encode(hashlib.sha256(wire).digest()).decode().rstrip("=")
    return "SHA256:" + digest


def verify_signature(key, sig: bytes, msg: bytes) -> bool:
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(sig, msg)
        else:
            key.verify(sig, msg, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def verify_envelope(key, env: dict) -> bytes:
    """Return the verified payload bytes, or raise ValueError."""
    if not isinstance(env, dict):
        raise ValueError("envelope is not an object")
    ptype, payload = env["payloadType"], b64dec(env["payload"])
    msg = pae(ptype, payload)
    for s in env.get("signatures", []):
        if verify_signature(key, b64dec(s["sig"]), msg):
            if ptype != INTOTO:
                raise ValueError("unsupported payloadType %r" % ptype)
            return payload  # hand on exactly the bytes that were verified
    raise ValueError("no valid signature")


def cmd_verify(argv) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    key = load_public(argv[0])
    artifact = None
    if len(argv) == 3:
        with open(argv[2], "rb") as f:
            data = f.read()
        artifact = {"sha256": hashlib.sha256(data).hexdigest(),
                    "sha512": hashlib.sha512(data).hexdigest()}
    with open(argv[1], "rb") as f:
        lines = [l for l in f.read().split(b"\n") if l.strip()]
    if not lines:
        print("REJECTED: no envelopes", file=sys.stderr)
        return 2
    failed = 0
    for n, line in enumerate(lines, 1):
        try:
            payload = verify_envelope(key, json.loads(line))
            st = json.loads(payload)
            if st.get("_type") != STATEMENT_V1:
                raise ValueError("_type is %r" % st.get("_type"))
            subjects = st["subject"]
            if artifact and not any(
                    s["digest"].get(alg) == want for s in subjects for alg, want in artifact.items()):
                raise ValueError("artifact digest not among subjects")
            print("VERIFIED %s subject=%s" % (st["predicateType"], subjects[0].get("name")))
        except (ValueError, KeyError, TypeError) as e:
            print("REJECTED envelope %d: %s" % (n, e))
            failed += 1
    return 1 if failed else 0


def cmd_sign(argv) -> int:
    opts = {"--name": "pkg:npm/interop@1.0.0", "--type": "https://example.com/interop/v1",
            "--payload-type": INTOTO}
    pos = []
    i = 0
    while i < len(argv):
        if argv[i] in opts and i + 1 < len(argv):
            opts[argv[i]] = argv[i + 1]
            i += 2
        else:
            pos.append(argv[i])
            i += 1
    if len(pos) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    key_path, out_path, artifact_path = pos
    openssl = shutil.which("openssl")
    if not openssl:
        print("openssl command not found", file=sys.stderr)
        return 2
    with open(key_path, "rb") as f:
        priv = serialization.load_pem_private_key(f.read(), password=None)
    pub = priv.public_key()
    with open(artifact_path, "rb") as f:
        data = f.read()
    statement = {
        "_type": STATEMENT_V1,
        "subject": [{"name": opts["--name"],
                     "digest": {"sha256": hashlib.sha256(data).hexdigest(),
                                "sha512": hashlib.sha512(data).hexdigest()}}],
        "predicateType": opts["--type"],
        "predicate": {"signedBy": "openssl command line"},
    }
    body = json.dumps(statement, separators=(",", ":"), sort_keys=True).encode()
    with tempfile.TemporaryDirectory() as tmp:
        pae_path, sig_path = os.path.join(tmp, "pae.bin"), os.path.join(tmp, "sig.bin")
        with open(pae_path, "wb") as f:
            f.write(pae(opts["--payload-type"], body))
        if isinstance(pub, ed25519.Ed25519PublicKey):
            cmd = [openssl, "pkeyutl", "-sign", "-rawin", "-inkey", key_path, "-in", pae_path,
                   "-out", sig_path]
        else:
            cmd = [openssl, "dgst", "-sha256", "-sign", key_path, "-out", sig_path, pae_path]
        subprocess.run(cmd, check=True)
        with open(sig_path, "rb") as f:
            sig = f.read()
    env = {"payloadType": opts["--payload-type"], "payload": base64.b64encode(body).decode(),
           "signatures": [{"keyid": keyid(pub), "sig": base64.b64encode(sig).decode()}]}
    with open(out_path, "a") as f:
        f.write(json.dumps(env, separators=(",", ":")) + "\n")
    return 0


def cmd_keyid(argv) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    key = load_public(argv[0])
    print(keyid(key))
    print(key.public_bytes(serialization.Encoding.OpenSSH,
                           serialization.PublicFormat.OpenSSH).decode())
    return 0


def main() -> int:
    cmds = {"verify": cmd_verify, "sign": cmd_sign, "keyid": cmd_keyid}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return cmds[sys.argv[1]](sys.argv[2:])
    except (OSError, ValueError, json.JSONDecodeError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
