"""Dutch identifiers and vocabularies are checked before the domain sees them."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from eenplan.domain.commands import Address, Member, TenantCode
from eenplan.domain.values import is_valid_bsn


@pytest.mark.parametrize("bsn", ["111222333", "123456782", "999999990"])
def test_a_bsn_that_passes_the_elfproef_is_valid(bsn: str) -> None:
    assert is_valid_bsn(bsn)


# The last one is 111222333 in Arabic-Indic digits: str.isdigit() says yes, the elfproef must not.
@pytest.mark.parametrize(
    "bsn",
    [
        "123456789",
        "12345678",
        "1234567890",
        "abcdefghi",
        "000000000",
        "\u0661\u0661\u0661\u0662\u0662\u0662\u0663\u0663\u0663",
    ],
)
def test_a_bsn_that_fails_the_elfproef_or_the_length_is_refused(bsn: str) -> None:
    assert not is_valid_bsn(bsn)
    with pytest.raises(ValidationError):
        Member(given_name="A", family_name="B", birth_date="1990-01-01", role="adult", bsn=bsn)


@pytest.mark.parametrize("code", ["1234AB", "1234 ab", "9999 ZZ"])
def test_a_postal_code_is_normalised(code: str) -> None:
    address = Address(street="A", house_number="1", postal_code=code, city="C")
    assert address.postal_code[4] == " " and address.postal_code[5:].isupper()


@pytest.mark.parametrize("code", ["0123 AB", "12345", "1234 SA", "ABCD EF", "1\u0662\u0663\u0664 AB"])
def test_a_malformed_postal_code_is_refused(code: str) -> None:
    with pytest.raises(ValidationError):
        Address(street="A", house_number="1", postal_code=code, city="C")


@pytest.mark.parametrize("born", ["2999-01-01", "1090-05-05"])
def test_a_birth_date_in_the_future_or_before_1900_is_refused(born: str) -> None:
    with pytest.raises(ValidationError):
        Member(given_name="A", family_name="B", birth_date=born, role="adult")


def test_a_tenant_code_is_gm_and_four_ascii_digits() -> None:
    assert TypeAdapter(TenantCode).validate_python("GM0687") == "GM0687"
    with pytest.raises(ValidationError):
        TypeAdapter(TenantCode).validate_python("GM\u0660\u0666\u0668\u0667")


def test_unknown_fields_are_refused_rather_than_ignored() -> None:
    with pytest.raises(ValidationError):
        Member(given_name="A", family_name="B", birth_date="1990-01-01", role="adult", nickname="x")


def test_a_member_id_that_looks_like_a_bsn_is_refused_because_ids_are_stored_in_clear() -> None:
    with pytest.raises(ValidationError):
        Member(member_id="111222333", given_name="A", family_name="B", birth_date="1990-01-01", role="adult")
    Member(member_id="m-111222333", given_name="A", family_name="B", birth_date="1990-01-01", role="adult")
