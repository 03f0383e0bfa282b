"""Signing in to the console over plain HTTP, as a browser would: the cookie, the CSRF token."""

from __future__ import annotations

import re

import httpx

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text[:2000]
    return found.group(1)


def dev_sign_in(
    client: httpx.Client, sub: str, org: str, role: str, tenant: str = "GM0687"
) -> httpx.Response:
    """The development sign-in form, filled in and sent; the client keeps the session cookie."""
    page = client.get("/console/aanmelden")
    form = {"csrf": csrf_of(page), "sub": sub, "org": org, "tenant": tenant, "role": role}
    return client.post("/console/aanmelden/ontwikkeling", data=form)
