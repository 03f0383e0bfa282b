"""Conditional requests (RFC 9110 §13.1): `If-Match` on plan commands, `If-None-Match` on plan reads.

A plan's ETag is its version as a strong entity-tag: `"7"`. Both headers take `*` or a
list of entity-tags, also spread over several header lines. If-Match compares strongly:
a weak tag (`W/"7"`) never matches, and a list matches when one of its tags does.
If-None-Match compares weakly: `W/"7"` matches version 7. A value that is neither `*`
nor a list of entity-tags is a 422; a well-formed tag that is no version matches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header, Request
from fastapi.exceptions import RequestValidationError

from eenplan.api.http.schemas.reads import MAX_INT64

# One list element: an entity-tag, or nothing (RFC 9110 §5.6.1 allows empty ones), then a comma or the end.
ELEMENT = re.compile(r'[ \t]*(?:(W/)?"([\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(?:,|\Z)')
MAX_VERSION_DIGITS = len(str(MAX_INT64))


@dataclass(frozen=True)
class EntityTag:
    weak: bool
    opaque: str

    @property
    def version(self) -> int | None:
        """The plan version this tag names, if any: ASCII digits as the ETag writes them, within 64 bits."""
        text = self.opaque
        # Checked before int(): int() of "²" or of thousands of digits raises, and that is no 500.
        if not (text.isascii() and text.isdigit() and len(text) <= MAX_VERSION_DIGITS):
            return None
        version = int(text)
        # Strong comparison is by character: "07" is not the ETag of version 7.
        return version if str(version) == text and version <= MAX_INT64 else None


def expected_versions(
    request: Request,
    if_match: Annotated[
        str | None,
        Header(alias="If-Match", description='the plan\'s ETag, e.g. "7", a list of them, or *'),
    ] = None,
) -> Set[int] | None:
    """A dependency: the versions a command's If-Match allows; None without one, or for `*` (any)."""
    if if_match is None:
        return None
    tags = _tags("If-Match", request.headers.getlist("if-match"))
    if tags is None:
        return None
    return frozenset(v for tag in tags if not tag.weak and (v := tag.version) is not None)


def none_match(request: Request, version: int) -> bool:
    """Whether the read's If-None-Match names the plan at `version` (weakly): then the answer is 304."""
    lines = request.headers.getlist("if-none-match")
    if not lines:
        return False
    tags = _tags("If-None-Match", lines)
    return tags is None or any(tag.version == version for tag in tags)


def _tags(header: str, lines: list[str]) -> list[EntityTag] | None:
    """The entity-tags of the header's lines, read as one list; None for `*`."""
    value = ", ".join(lines).strip(" \t")
    if value == "*":
        return None
    tags, at = [], 0
    while at < len(value):
        element = ELEMENT.match(value, at)
        if element is None or element.end() == at:
            raise _malformed(header)
        if element.group(2) is not None:
            tags.append(EntityTag(weak=bool(element.group(1)), opaque=element.group(2)))
        at = element.end()
    if not tags:
        raise _malformed(header)
    return tags


def _malformed(header: str) -> RequestValidationError:
    message = 'use * or a comma-separated list of entity-tags, e.g. "7" (the plan\'s ETag)'
    return RequestValidationError([{"loc": ["header", header], "msg": message, "type": "value_error"}])
