"""The claim mapping: OIDC names by default, dotted paths, numeric subjects, strict booleans."""

from __future__ import annotations

import pytest

from authgate.core.federation.mapping import MappingError, check_mapping, map_identity
from authgate.core.federation.presets import PRESETS


def test_oidc_claims_map_by_their_own_names() -> None:
    found = map_identity(
        {
            "sub": "248289761001",
            "email": "Jane@Example.COM",
            "email_verified": True,
            "name": "Jane Doe",
            "preferred_username": "j.doe",
        },
        {},
    )
    assert found.subject == "248289761001"
    assert found.email == "jane@example.com" and found.email_verified
    assert found.name == "Jane Doe" and found.preferred_username == "j.doe"


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
