"""The master key for field encryption: from settings, or in development a generated file.

Production refuses to start without EENPLAN_MASTER_KEY (settings validate it).
Development creates one in the data directory on first use, like the dev
signing key, so a restarted development server still reads its own data.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os

from eenplan.api.settings import Settings

KEY_BYTES = 32


class MasterKeyError(ValueError):
    """The configured master key is not base64 of at least 32 bytes."""


def master_key(settings: Settings) -> bytes:
    if settings.master_key is not None:
        return _decode(settings.master_key.get_secret_value())
    if settings.is_production:
        raise MasterKeyError("production mode needs EENPLAN_MASTER_KEY")
    path = settings.dev_master_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Several workers may start at once: the first one to create the file wins.
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(base64.b64encode(os.urandom(KEY_BYTES)).decode())
    return _decode(path.read_text().strip())


def _decode(text: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise MasterKeyError("EENPLAN_MASTER_KEY must be base64") from None
    if len(key) < KEY_BYTES:
        raise MasterKeyError(f"EENPLAN_MASTER_KEY must hold at least {KEY_BYTES} bytes")
    return key
