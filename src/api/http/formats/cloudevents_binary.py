"""CloudEvents binary content mode: the attributes in `ce-` headers, the data as the body.

The HTTP protocol binding (1.0, §3.1) maps each attribute to a header of its name
prefixed with `ce-`, and the body's `Content-Type` is `datacontenttype`. A header
value is first unquoted (a quoted-string, as older senders wrote them) and then
percent-decoded once as UTF-8. The result is the same document the structured mode
sends as JSON, so both modes go through the same checks and name the same event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from eenplan.api.http.problems import ProblemError

PREFIX = "ce-"
JSON = "application/json"
# The attributes eenplan reads; other attributes (`time`, extensions) are accepted and not used.
READ = ("specversion", "id", "source", "type", "subject", "actingfor")
QUOTED = re.compile(r'"((?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*)"')
LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def header(name: str) -> str:
    """The header that carries an attribute in binary mode."""
    return f"{PREFIX}{name}"


def document(headers: Iterable[tuple[str, str]], media: str, body: bytes) -> dict[str, Any]:
    """The event as a structured-mode document: attributes from the headers, `data` from the body."""
    found: dict[str, str] = {}
    for name, value in headers:
        attribute = name.lower().removeprefix(PREFIX)
        if not name.lower().startswith(PREFIX) or attribute not in (*READ, "datacontenttype"):
            continue
        if attribute == "datacontenttype":
            raise _invalid(name, "in binary mode the Content-Type header is the datacontenttype")
        if attribute in found:
            raise _invalid(name, "give each ce- header once")
        found[attribute] = _decoded(header(attribute), value)
    return {**found, **_data(media, body)}


def _data(media: str, body: bytes) -> dict[str, Any]:
    """`data` from the body: JSON, or no body at all (a command without fields)."""
    if not body:
        return {}
    if media != JSON:
        raise ProblemError(
            415,
            "unsupported-media-type",
            "send the event's data as application/json (binary mode), or the whole event as "
            "application/cloudevents+json or application/cloudevents-batch+json",
        )
    try:
        return {"data": json.loads(body)}
    except (ValueError, RecursionError):
        raise ProblemError(400, "malformed-request", "the request body is not valid JSON") from None


def _decoded(name: str, raw: str) -> str:
    value = raw.strip(" \t")
    if value.startswith('"'):
        quoted = QUOTED.fullmatch(value)
        if quoted is None:
            raise _invalid(name, "a quoted value must be one well-formed quoted-string")
        value = re.sub(r"\\(.)", r"\1", quoted.group(1))
    if not all(" " <= c <= "~" for c in value) or LONE_PERCENT.search(value):
        raise _invalid(name, "percent-encode (%XX, UTF-8) every character that is not printable ASCII")
    try:
        return unquote_to_bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid(name, "the percent-encoded bytes are not UTF-8") from None


def _invalid(name: str, message: str) -> ProblemError:
    line = {"loc": ["header", name.lower()], "msg": message, "type": "value_error"}
    return ProblemError(422, "validation", f"{name.lower()}: {message}", errors=[line])
