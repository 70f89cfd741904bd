"""Passphrase encryption of backup archives in the age format (https://age-encryption.org/v1), streamed.

Why not pyrage's ``passphrase.encrypt`` (measured, docs/backup.md): it takes and returns bytes, so
the archive sits in memory two or three times, and it calibrates scrypt to about a second of this
machine's CPU, which set scrypt's memory to 512 MiB on the development machine (and more on a faster
one): a backup of 1.8 MB peaked at 640 MB. On a 1 GB VPS beside the site that invites the kernel's
OOM killer. This module writes the same format with a fixed work factor (2^18, age's own default:
256 MiB for about a second) and 64 KiB chunks, so memory no longer grows with the archive.

Only the primitives come from ``cryptography`` (PyCA): scrypt, ChaCha20-Poly1305, HKDF and HMAC,
put together as the spec says (one ``scrypt`` stanza, header MAC, STREAM payload). The tests read
what this writes with pyrage (rage, the Rust implementation) and the other way round, so Debian's
``age -d`` restores an archive without buurt.
"""

from __future__ import annotations

import base64
import hmac
import os
from collections.abc import Iterator
from hashlib import sha256
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"age-encryption.org/v1"
WORK_FACTOR = 18  # log2(N): age's default; scrypt then needs 256 MiB for about a second
MAX_WORK_FACTOR = 22  # refuse more when reading (4 GiB): an archive must not be able to ask for any memory
CHUNK = 64 * 1024
TAG = 16
_SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"


class DecryptError(ValueError):
    """Wrong passphrase, or not (or no longer) an age file with one scrypt stanza."""


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data).rstrip(b"=")


def _unb64(text: bytes) -> bytes:
    if b"=" in text or b"\r" in text:
        raise DecryptError("not canonical base64")
    return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)


def _hkdf(key: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key)


def _wrap_key(passphrase: str, salt: bytes, work_factor: int) -> bytes:
    kdf = Scrypt(salt=_SCRYPT_LABEL + salt, length=32, n=2**work_factor, r=8, p=1)
    return kdf.derive(passphrase.encode("utf-8"))


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def encrypt(source: BinaryIO, target: BinaryIO, passphrase: str, *, work_factor: int = WORK_FACTOR) -> None:
    """Write `source` to `target` encrypted with `passphrase`, 64 KiB at a time."""
    file_key, salt = os.urandom(16), os.urandom(16)
    wrapped = ChaCha20Poly1305(_wrap_key(passphrase, salt, work_factor)).encrypt(b"\x00" * 12, file_key, None)
    header = MAGIC + b"\n-> scrypt " + _b64(salt) + b" " + str(work_factor).encode() + b"\n" + _b64(wrapped)
    header += b"\n---"
    mac = hmac.new(_hkdf(file_key, b"", b"header"), header, sha256).digest()
    target.write(header + b" " + _b64(mac) + b"\n")
    payload_nonce = os.urandom(16)
    target.write(payload_nonce)
    aead = ChaCha20Poly1305(_hkdf(file_key, payload_nonce, b"payload"))
    for counter, (chunk, last) in enumerate(_chunks(source)):
        target.write(aead.encrypt(_nonce(counter, last), chunk, None))


def _chunks(source: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """64 KiB pieces and whether each is the last (an empty source is one empty last piece)."""
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK) if len(chunk) == CHUNK else b""
        yield chunk, not following
        if not following:
            return
        chunk = following


def is_encrypted(head: bytes) -> bool:
    return head.startswith(MAGIC)


def decrypt(source: BinaryIO, target: BinaryIO, passphrase: str) -> None:
    """Write the plaintext of `source` to `target`; DecryptError when the passphrase or file is wrong
    (the target then holds a prefix at most: the caller throws it away)."""
    file_key = _read_header(source, passphrase)
    payload_nonce = source.read(16)
    if len(payload_nonce) != 16:
        raise DecryptError("truncated")
    aead = ChaCha20Poly1305(_hkdf(file_key, payload_nonce, b"payload"))
    sealed, counter = source.read(CHUNK + TAG), 0
    while True:
        following = source.read(CHUNK + TAG) if len(sealed) == CHUNK + TAG else b""
        last = not following
        try:
            chunk = aead.decrypt(_nonce(counter, last), sealed, None)
        except InvalidTag:
            raise DecryptError("damaged or truncated") from None
        if not chunk and (counter > 0 or not last):
            raise DecryptError("empty chunk")
        target.write(chunk)
        if last:
            return
        sealed, counter = following, counter + 1


def _read_header(source: BinaryIO, passphrase: str) -> bytes:
    lines = [source.readline(256) for _ in range(4)]
    if lines[0] != MAGIC + b"\n" or not all(line.endswith(b"\n") for line in lines):
        raise DecryptError("not an age file")
    stanza = lines[1].split()
    if len(stanza) != 4 or stanza[:2] != [b"->", b"scrypt"] or not lines[3].startswith(b"--- "):
        raise DecryptError("not a passphrase-encrypted age file")
    salt, work_factor = _unb64(stanza[2]), int(stanza[3]) if stanza[3].isdigit() else 0
    if len(salt) != 16 or not 1 <= work_factor <= MAX_WORK_FACTOR:
        raise DecryptError("unsupported scrypt stanza")
    try:
        file_key = ChaCha20Poly1305(_wrap_key(passphrase, salt, work_factor)).decrypt(
            b"\x00" * 12, _unb64(lines[2].rstrip(b"\n")), None
        )
    except InvalidTag:
        raise DecryptError("wrong passphrase") from None
    header = b"".join(lines[:3]) + b"---"
    expected = hmac.new(_hkdf(file_key, b"", b"header"), header, sha256).digest()
    if not hmac.compare_digest(expected, _unb64(lines[3][4:].rstrip(b"\n"))):
        raise DecryptError("header changed")
    return file_key
