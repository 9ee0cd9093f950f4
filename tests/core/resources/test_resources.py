"""Resource indicators (RFC 8707) as plain functions: the form of a value, the allowed list
(client's, else the server's default), narrowing at the token endpoint, the authorization
step, and repeated parameters (authgate.core.resources, core.params, core.authorize.steps)."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.appconfig_resources import check_resources, uri_problem
from authgate.core import params, resources
from authgate.core.authorize import steps
from authgate.core.params import VALUE_SEPARATOR, single_valued
from authgate.core.types import AuthorizationRequest, Client, ClientMetadata
from authgate.errors import InvalidRequest, InvalidTarget

API = "https://api.example/"
OTHER = "https://other.example/v1"
CONFIG = AppConfiguration()
DEFAULTS = CONFIG.model_copy(update={"defaultResourceIndicators": [API, OTHER]})


def make_client(**meta: Any) -> Client:
    fields: dict[str, Any] = {
        "redirect_uris": ("https://rp.example/cb",),
        "scope": ("openid", "profile"),
    }
    return Client("client-1", ClientMetadata(**(fields | meta)), client_id_issued_at=0)


def joined(*values: str) -> dict[str, str]:
    return {"resource": VALUE_SEPARATOR.join(values)}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (API, None),
        ("urn:example:api", None),
        ("https://api.example/v1?tenant=1", None),
        ("/relative/path", "is not an absolute URI"),
        ("api.example", "is not an absolute URI"),
        ("https://api.example/#frag", "has a fragment"),
        ("https://api.example/ x", "contains white space or a control character"),
        ("https://" + "a" * 600, "is longer than 512 characters"),
        ("1http://x", "is not an absolute URI"),
    ],
)
def test_the_form_of_a_resource(value: str, problem: str | None) -> None:
    assert uri_problem(value) == problem


def test_a_configured_list_is_checked_and_deduplicated() -> None:
    assert check_resources([API, API, OTHER]) == [API, OTHER]
    with pytest.raises(ValueError, match="has a fragment"):
        check_resources(["https://api.example/#x"])
    with pytest.raises(ValueError, match="has a fragment"):
        AppConfiguration(defaultResourceIndicators=["https://api.example/#x"])


def test_repeated_resource_parameters_are_kept_in_order() -> None:
    got = single_valued([("resource", API), ("client_id", "c"), ("resource", OTHER)])
    assert params.values(got, "resource") == (API, OTHER)
    assert params.values(single_valued([("resource", API), ("resource", API)]), "resource") == (
        API,
    )
    assert params.values({}, "resource") == ()


def test_other_parameters_still_may_not_repeat() -> None:
    with pytest.raises(InvalidRequest, match="scope is included more than once"):
        single_valued([("scope", "a"), ("scope", "b")])


def test_repeats_count_towards_the_parameter_limit() -> None:
    with pytest.raises(InvalidRequest, match="more than 100 parameters"):
        single_valued([("resource", f"https://r{i}.example/") for i in range(101)])


def test_the_client_list_wins_over_the_default() -> None:
    assert resources.allowed(make_client(), CONFIG) == ()
    assert resources.allowed(make_client(), DEFAULTS) == (API, OTHER)
    own = make_client(allowed_resources=(OTHER,))
    assert resources.allowed(own, DEFAULTS) == (OTHER,)


def test_at_authorization_allows_only_listed_resources() -> None:
    client = make_client(allowed_resources=(API, OTHER))
    assert resources.at_authorization(joined(API, OTHER), client, CONFIG) == (API, OTHER)
    assert resources.at_authorization({}, client, CONFIG) == ()
    with pytest.raises(InvalidTarget, match="not allowed for this client"):
        resources.at_authorization(joined("https://evil.example/"), client, CONFIG)
    with pytest.raises(InvalidTarget, match="not allowed for this client"):
        resources.at_authorization(joined(API), make_client(), CONFIG)
    with pytest.raises(InvalidTarget, match="is not an absolute URI"):
        resources.at_authorization(joined("relative"), client, CONFIG)


def test_narrowing_keeps_a_subset_of_what_was_authorized() -> None:
    client = make_client(allowed_resources=(API, OTHER))
    assert resources.narrowed({}, (API, OTHER), client, CONFIG) == (API, OTHER)
    assert resources.narrowed(joined(OTHER), (API, OTHER), client, CONFIG) == (OTHER,)
    with pytest.raises(InvalidTarget):
        resources.narrowed(joined(OTHER), (API,), client, CONFIG)


def test_a_grant_without_resources_authorizes_the_allowed_list() -> None:
    client = make_client(allowed_resources=(API,))
    assert resources.narrowed(joined(API), (), client, CONFIG) == (API,)
    with pytest.raises(InvalidTarget):
        resources.narrowed(joined(OTHER), (), client, CONFIG)


def test_the_authorization_step_records_the_resources() -> None:
    client = make_client(allowed_resources=(API,))
    draft = steps.Draft(joined(API), client, CONFIG, "https://rp.example/cb")
    steps.check_resource(draft)
    assert draft.resource == (API,)
    refused = steps.Draft(joined(OTHER), client, CONFIG, "https://rp.example/cb")
    with pytest.raises(InvalidTarget):
        steps.check_resource(refused)


def test_an_authorization_request_keeps_its_resources_through_json() -> None:
    request = AuthorizationRequest(
        client_id="c",
        redirect_uri="https://rp.example/cb",
        redirect_uri_given=True,
        response_type="code",
        scope=("openid",),
        resource=(API, OTHER),
    )
    assert AuthorizationRequest.from_json(request.to_json()) == request
    legacy = request.to_json()
    del legacy["resource"]
    assert AuthorizationRequest.from_json(legacy).resource == ()


def test_a_resource_removed_from_the_clients_list_is_no_longer_issued() -> None:
    before = make_client(allowed_resources=(API, OTHER))
    after = make_client(allowed_resources=(API,))
    assert resources.narrowed({}, (API, OTHER), before, CONFIG) == (API, OTHER)
    with pytest.raises(InvalidTarget, match="not allowed for this client"):
        resources.narrowed({}, (API, OTHER), after, CONFIG)
    assert resources.narrowed(joined(API), (API, OTHER), after, CONFIG) == (API,)
    with pytest.raises(InvalidTarget, match="not authorized for this grant"):
        resources.narrowed(joined(OTHER), (API,), before, CONFIG)
