"""Settings are validated when they are read, in memory: a bad value stops start-up, not a request."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from eenplan.api.settings import Settings


def test_unknown_telemetry_exporters_are_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="unknown telemetry exporters"):
        Settings(telemetry_exporters="prometheus,zipkin")


def test_known_telemetry_exporters_are_read_as_a_set_with_blanks_ignored() -> None:
    assert Settings(telemetry_exporters=" otlp, prometheus,,console ").exporters == {
        "otlp",
        "prometheus",
        "console",
    }
    assert Settings(telemetry_exporters="").exporters == set()


def test_a_console_sign_in_provider_needs_a_client_id_and_an_http_issuer() -> None:
    with pytest.raises(ValidationError, match="CLIENT_ID"):
        Settings(console_oidc_issuer="https://idp.example.nl")
    with pytest.raises(ValidationError, match="http"):
        Settings(console_oidc_issuer="file:///etc/passwd", console_oidc_client_id="eenplan-console")
    ok = Settings(console_oidc_issuer="https://idp.example.nl/realms/gemeente", console_oidc_client_id="c")
    assert ok.console_oidc_scopes == "openid profile" and ok.console_session_hours == 8.0


def test_a_read_replica_needs_postgresql_on_both_urls_and_the_refusal_repeats_neither() -> None:
    primary = "postgresql://eenplan:secret@db.internal/eenplan"
    with pytest.raises(ValidationError, match="needs EENPLAN_DATABASE_URL on PostgreSQL") as sqlite:
        Settings(database_url="sqlite:///./var/x.db", read_database_url=primary)
    with pytest.raises(ValidationError, match="must be a postgresql:// URL") as other:
        Settings(database_url=primary, read_database_url="mysql://reader:secret@replica.internal/eenplan")
    for refused in (sqlite.value, other.value):
        assert "secret" not in str(refused.errors(include_input=False))
    ok = Settings(database_url=primary, read_database_url="postgres://reader@replica.internal/eenplan")
    assert ok.read_database_url and Settings(database_url=primary).read_database_url is None
