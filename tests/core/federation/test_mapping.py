"""The claim mapping: OIDC names by default, dotted paths, numeric subjects, strict booleans;
and the names Sign in with Apple posts beside the code."""

from __future__ import annotations

import json

import pytest

from authgate.core.federation.mapping import (
    POSTED_NAME_LENGTH,
    MappingError,
    check_mapping,
    map_identity,
    with_posted_names,
)
from authgate.core.federation.model import UpstreamIdentity
from authgate.core.federation.presets import PRESETS


def test_oidc_claims_map_by_their_own_names() -> None:
    found = map_identity(
        {
            "sub": "248289761001",
            "email": "Jane@Example.COM",
            "email_verified": True,
            "name": "Jane Doe",
            "given_name": "Jane",
            "family_name": "Doe",
            "preferred_username": "j.doe",
        },
        {},
    )
    assert found.subject == "248289761001"
    assert found.email == "jane@example.com" and found.email_verified
    assert found.name == "Jane Doe" and found.preferred_username == "j.doe"
    assert (found.given_name, found.family_name) == ("Jane", "Doe")
    renamed = map_identity({"sub": "1", "first": "Ann"}, {"given_name": "first"})
    assert renamed.given_name == "Ann" and renamed.family_name is None


def test_github_user_api_through_the_preset() -> None:
    user = {"id": 583231, "login": "octocat", "name": "The Octocat", "email": None}
    found = map_identity(user, PRESETS["github"].mapping)
    assert found.subject == "583231" and found.preferred_username == "octocat"
    assert found.email is None and not found.email_verified


def test_dotted_paths_reach_nested_members() -> None:
    found = map_identity(
        {"data": {"user": {"uid": "x-1", "mail": "a@b.example"}}, "verified": "true"},
        {"sub": "data.user.uid", "email": "data.user.mail", "email_verified": "verified"},
    )
    assert found.subject == "x-1" and found.email == "a@b.example" and found.email_verified


@pytest.mark.parametrize("verified", ["yes", 1, "True ", None, {"v": True}])
def test_only_true_means_verified(verified: object) -> None:
    found = map_identity({"sub": "s", "email": "a@b.example", "email_verified": verified}, {})
    assert not found.email_verified


@pytest.mark.parametrize("claims", [{}, {"sub": ""}, {"sub": "  "}, {"sub": True}, {"sub": [1]}])
def test_no_usable_subject_is_an_error(claims: dict[str, object]) -> None:
    with pytest.raises(MappingError):
        map_identity(claims, {})


def test_an_email_without_at_is_dropped() -> None:
    assert map_identity({"sub": "s", "email": "not-an-email"}, {}).email is None


@pytest.mark.parametrize(
    "mapping", [{"subject": "id"}, {"sub": ""}, {"sub": "a..b"}, {"email": ".x"}]
)
def test_bad_mappings_are_refused(mapping: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=r"mapped field|dotted"):
        check_mapping(mapping)


APPLE_USER = {"name": {"firstName": "Jane", "lastName": "Appleseed"}, "email": "x@evil.example"}


def test_apples_posted_names_fill_a_new_identity_but_never_its_email() -> None:
    identity = UpstreamIdentity("001234.abcd", "jane@privaterelay.appleid.com", True)
    named = with_posted_names(identity, json.dumps(APPLE_USER))
    assert (named.name, named.given_name, named.family_name) == (
        "Jane Appleseed",
        "Jane",
        "Appleseed",
    )
    assert named.email == "jane@privaterelay.appleid.com" and named.subject == "001234.abcd"
    only_first = with_posted_names(identity, '{"name": {"firstName": "Jane"}}')
    assert (only_first.name, only_first.family_name) == ("Jane", None)


def test_the_signed_claims_win_over_posted_names() -> None:
    identity = UpstreamIdentity("s", name="J. Appleseed", given_name="Janet")
    named = with_posted_names(identity, json.dumps(APPLE_USER))
    assert (named.name, named.given_name, named.family_name) == (
        "J. Appleseed",
        "Janet",
        "Appleseed",
    )


@pytest.mark.parametrize(
    "posted",
    [
        None,
        "",
        "not json",
        "[1, 2]",
        '"Jane"',
        '{"name": "Jane Appleseed"}',
        '{"name": {"firstName": 7, "lastName": ["A"]}}',
        '{"name": {"firstName": "  ", "lastName": "\u0000\u001b"}}',
        '{"email": "jane@example.com"}',
    ],
)
def test_a_posted_field_of_another_shape_changes_nothing(posted: str | None) -> None:
    identity = UpstreamIdentity("s", "jane@example.com", True)
    assert with_posted_names(identity, posted) == identity


def test_posted_names_are_bounded_and_printable() -> None:
    posted = {"name": {"firstName": "J\u202ean\x1b[31m" + "e" * 500, "lastName": "A\nB"}}
    named = with_posted_names(UpstreamIdentity("s"), json.dumps(posted))
    assert named.given_name is not None and len(named.given_name) == POSTED_NAME_LENGTH
    assert named.given_name.startswith("Jan[31m") and named.family_name == "AB"
