"""A client certificate from a PKCS#12 bundle, loaded into a TLS context.

Python's ``ssl`` reads PEM files only. The bundle is opened with ``cryptography``; its
certificate and key go to a private temporary folder (0700, removed at once) for
``load_cert_chain``, the key encrypted there with a one-time random passphrase, so the
key never lies on disk in the clear, not even for that moment.
"""

from __future__ import annotations

import secrets
import shutil
import ssl
import tempfile
from pathlib import Path


class BundleError(Exception):
    """The PKCS#12 bundle cannot be used; the message says why."""


def load_pkcs12(context: ssl.SSLContext, bundle: str, password: str | None) -> None:
    """Add the bundle's certificate (and chain) and key to ``context`` as the client's."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        data = Path(bundle).read_bytes()
    except OSError as exc:
        raise BundleError(f"the PKCS#12 bundle {bundle} cannot be read: {exc.strerror}") from exc
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None
        )
    except ValueError as exc:
        hint = "its password is wrong" if password else "it needs its password"
        raise BundleError(
            f"the PKCS#12 bundle {bundle} cannot be opened ({hint}, or it is not PKCS#12)"
        ) from exc
    if key is None or cert is None:
        raise BundleError(f"the PKCS#12 bundle {bundle} holds no certificate with its key")
    passphrase = secrets.token_hex(16).encode()
    folder = Path(tempfile.mkdtemp(prefix="eventflow-p12-"))  # 0700 by mkdtemp
    try:
        cert_path, key_path = folder / "cert.pem", folder / "key.pem"
        pem = cert.public_bytes(serialization.Encoding.PEM)
        pem += b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain or [])
        cert_path.write_bytes(pem)
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(passphrase),
            )
        )
        context.load_cert_chain(str(cert_path), str(key_path), password=passphrase)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
