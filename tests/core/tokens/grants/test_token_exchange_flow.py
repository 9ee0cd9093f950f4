"""Token exchange (RFC 8693) through the token endpoint's core on memory services: who may
exchange (refused by default), which subject and actor tokens are accepted, the issued
token's audience, scope, ``act`` chain and lifetime, and the security event of a refusal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.appconfig_resources import TOKEN_EXCHANGE
from authgate.core.params import VALUE_SEPARATOR
from authgate.core.ports import Services
from authgate.core.tokens.endpoint import token
from authgate.core.tokens.grants.token_exchange import (
    ACCESS_TOKEN_TYPE,
    ID_TOKEN_TYPE,
    REFRESH_TOKEN_TYPE,
)
from authgate.core.tokens.introspection import introspect
from authgate.core.tokens.userinfo import active_access_token, userinfo
from authgate.core.types import Client, TokenRecord
from authgate.crypto.handles import handle_hash
from authgate.errors import (
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    InvalidTarget,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from tests.core.flow_support import SECRET, basic, code_form, issue_code, refreshing_client
from tests.memory import StaticConfig, add_client, advance, make_services
from tests.memory.doubles import RecordingSecurityEvents
from tests.memory.services import double

DOWNSTREAM = "https://downstream.example/api"
LOGICAL = "billing-service"
GRANTS = ["authorization_code", "refresh_token", "client_credentials", TOKEN_EXCHANGE]
ENABLED = AppConfiguration(grantTypesSupported=GRANTS)


@dataclass(frozen=True, slots=True)
class Setup:
    svc: Services
    frontend: Client
    service: Client
    tokens: dict[str, Any]

    @property
    def header(self) -> str:
        return basic(self.service.client_id, SECRET)


async def _setup(
    config: AppConfiguration = ENABLED, *, jwt: bool = False, **service_meta: Any
) -> Setup:
    """A user signed in to a public frontend whose tokens name a confidential service in
    their audience; the service may exchange them for DOWNSTREAM and LOGICAL."""
    svc = make_services(config=StaticConfig(config))
    meta: dict[str, Any] = {
        "grant_types": [TOKEN_EXCHANGE, "client_credentials"],
        "token_exchange_audiences": [DOWNSTREAM, LOGICAL],
        "access_token_as_jwt": jwt,
    }
    service = await add_client(svc, secret=SECRET, **(meta | service_meta))
    frontend = await refreshing_client(svc, additional_audience=[service.client_id])
    issued = await issue_code(svc, frontend)
    tokens = await token(code_form(issued), None, svc)
    return Setup(svc, frontend, service, tokens)


def _form(subject: str, kind: str = ACCESS_TOKEN_TYPE, **extra: str) -> dict[str, str]:
    form = {
        "grant_type": TOKEN_EXCHANGE,
        "subject_token": subject,
        "subject_token_type": kind,
        "resource": DOWNSTREAM,
    }
    return form | extra


async def _record(svc: Services, value: str) -> TokenRecord:
    record = await svc.grants.get_token(handle_hash(value))
    assert record is not None
    return record


async def test_an_allowed_exchange_issues_a_token_for_the_target() -> None:
    s = await _setup()
    body = await token(_form(s.tokens["access_token"]), s.header, s.svc)
    assert body["issued_token_type"] == ACCESS_TOKEN_TYPE
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "openid profile email"
    assert "refresh_token" not in body
    issued = await _record(s.svc, body["access_token"])
    subject = await _record(s.svc, s.tokens["access_token"])
    assert issued.client_id == s.service.client_id
    assert issued.user_id == subject.user_id
    assert issued.audience == (DOWNSTREAM,)
    assert issued.grant_id == subject.grant_id  # revoking the subject's grant revokes it
    assert issued.expires_at <= subject.expires_at
    assert issued.act is None
    # userinfo answers for it (openid scope), introspection shows the target as aud
    record = await active_access_token(body["access_token"], s.svc)
    assert (await userinfo(record, s.svc)).claims["sub"]
    seen = await introspect({"token": body["access_token"]}, s.header, s.svc)
    assert seen["active"] is True and seen["aud"] == DOWNSTREAM


async def test_audience_and_resource_together_make_the_audience() -> None:
    s = await _setup(jwt=True)
    form = _form(s.tokens["access_token"], audience=LOGICAL)
    body = await token(form, s.header, s.svc)
    claims = s.svc.keys.verify(body["access_token"])
    assert claims["aud"] == [LOGICAL, DOWNSTREAM]
    assert claims["client_id"] == s.service.client_id
    assert "act" not in claims


async def test_refused_while_the_grant_is_off_server_wide() -> None:
    s = await _setup(AppConfiguration())
    with pytest.raises(UnsupportedGrantType):
        await token(_form(s.tokens["access_token"]), s.header, s.svc)


async def test_refused_by_default_for_a_client_without_exchange_audiences() -> None:
    s = await _setup(token_exchange_audiences=[])
    with pytest.raises(UnauthorizedClient, match="no token_exchange_audiences"):
        await token(_form(s.tokens["access_token"]), s.header, s.svc)
    events = double(s.svc.events, RecordingSecurityEvents)
    assert events.kinds() == ["token_exchange_refused"]
    event = events.events[-1]
    assert event.client_id == s.service.client_id
    assert event.detail == "token exchange refused: unauthorized_client"
    assert s.tokens["access_token"] not in repr(event)


async def test_refused_for_a_client_without_the_grant() -> None:
    s = await _setup(grant_types=["client_credentials"])
    with pytest.raises(UnauthorizedClient, match="not registered for the"):
        await token(_form(s.tokens["access_token"]), s.header, s.svc)


async def test_refused_for_a_public_client() -> None:
    s = await _setup()
    public = await add_client(
        s.svc, grant_types=[TOKEN_EXCHANGE], token_exchange_audiences=[DOWNSTREAM]
    )
    form = _form(s.tokens["access_token"], client_id=public.client_id)
    with pytest.raises(UnauthorizedClient, match="only for confidential clients"):
        await token(form, None, s.svc)


@pytest.mark.parametrize(
    "target",
    [{"resource": "https://elsewhere.example/"}, {"audience": "another-service"}],
)
async def test_a_target_outside_the_clients_list_is_invalid_target(target: dict[str, str]) -> None:
    s = await _setup()
    form = _form(s.tokens["access_token"]) | target
    if "audience" in target:
        del form["resource"]
    with pytest.raises(InvalidTarget):
        await token(form, s.header, s.svc)


async def test_one_bad_target_among_good_ones_refuses_the_exchange() -> None:
    s = await _setup()
    form = _form(s.tokens["access_token"])
    form["resource"] = VALUE_SEPARATOR.join([DOWNSTREAM, "https://elsewhere.example/"])
    with pytest.raises(InvalidTarget):
        await token(form, s.header, s.svc)


async def test_a_target_is_required() -> None:
    s = await _setup()
    form = _form(s.tokens["access_token"])
    del form["resource"]
    with pytest.raises(InvalidRequest, match="audience or resource"):
        await token(form, s.header, s.svc)


async def test_an_expired_subject_token_is_invalid_grant() -> None:
    s = await _setup()
    advance(s.svc, s.svc.config.current.accessTokenLifetime + 1)
    with pytest.raises(InvalidGrant, match="invalid, expired or revoked"):
        await token(_form(s.tokens["access_token"]), s.header, s.svc)


async def test_a_revoked_subject_token_is_invalid_grant() -> None:
    s = await _setup()
    await s.svc.grants.revoke_token(handle_hash(s.tokens["access_token"]), s.svc.clock.now())
    with pytest.raises(InvalidGrant):
        await token(_form(s.tokens["access_token"]), s.header, s.svc)
    events = double(s.svc.events, RecordingSecurityEvents)
    assert events.kinds()[-1] == "token_exchange_refused"


async def test_an_unknown_subject_token_is_invalid_grant() -> None:
    s = await _setup()
    with pytest.raises(InvalidGrant):
        await token(_form("not-a-token"), s.header, s.svc)


async def test_a_subject_token_not_meant_for_the_client_is_invalid_grant() -> None:
    s = await _setup()
    stranger = await refreshing_client(s.svc)
    issued = await issue_code(s.svc, stranger)
    theirs = await token(code_form(issued), None, s.svc)
    with pytest.raises(InvalidGrant, match="not meant for this client"):
        await token(_form(theirs["access_token"]), s.header, s.svc)


async def test_the_grant_of_the_subject_token_revokes_the_exchanged_token() -> None:
    s = await _setup()
    body = await token(_form(s.tokens["access_token"]), s.header, s.svc)
    subject = await _record(s.svc, s.tokens["access_token"])
    await s.svc.grants.revoke_grant(subject.grant_id, s.svc.clock.now())
    assert (await _record(s.svc, body["access_token"])).revoked_at is not None


async def test_scope_may_narrow_but_not_widen() -> None:
    s = await _setup()
    narrowed = await token(_form(s.tokens["access_token"], scope="openid"), s.header, s.svc)
    assert narrowed["scope"] == "openid"
    with pytest.raises(InvalidScope, match="exceeds the scope of the subject_token"):
        await token(_form(s.tokens["access_token"], scope="openid admin"), s.header, s.svc)


async def test_only_access_tokens_are_issued() -> None:
    s = await _setup()
    form = _form(s.tokens["access_token"], requested_token_type=REFRESH_TOKEN_TYPE)
    with pytest.raises(InvalidRequest, match="requested_token_type is not supported"):
        await token(form, s.header, s.svc)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"subject_token_type": "urn:ietf:params:oauth:token-type:saml2"}, "not supported"),
        ({"subject_token_type": None}, "go together"),
        ({"actor_token": "x"}, "go together"),
        ({"subject_token": None, "subject_token_type": None}, "missing the subject_token"),
    ],
)
async def test_malformed_requests_are_invalid_request(
    changes: dict[str, str | None], message: str
) -> None:
    s = await _setup()
    form: dict[str, str | None] = dict(_form(s.tokens["access_token"]))
    form |= changes
    with pytest.raises(InvalidRequest, match=message):
        await token({k: v for k, v in form.items() if v is not None}, s.header, s.svc)


async def test_a_refresh_token_of_the_client_itself_is_a_subject_token() -> None:
    s = await _setup()
    own = await refreshing_client(
        s.svc,
        secret=SECRET,
        grant_types=["authorization_code", "refresh_token", TOKEN_EXCHANGE],
        token_exchange_audiences=[DOWNSTREAM],
    )
    issued = await issue_code(s.svc, own, method=None)
    tokens = await token(code_form(issued), basic(own.client_id, SECRET), s.svc)
    form = _form(tokens["refresh_token"], REFRESH_TOKEN_TYPE)
    body = await token(form, basic(own.client_id, SECRET), s.svc)
    assert (await _record(s.svc, body["access_token"])).audience == (DOWNSTREAM,)
    # another client's refresh token never is
    with pytest.raises(InvalidGrant):
        await token(_form(s.tokens["refresh_token"], REFRESH_TOKEN_TYPE), s.header, s.svc)


async def test_an_actor_token_adds_act_and_a_second_exchange_nests_it() -> None:
    s = await _setup(jwt=True)
    actor = await token({"grant_type": "client_credentials"}, s.header, s.svc)
    form = _form(
        s.tokens["access_token"],
        actor_token=actor["access_token"],
        actor_token_type=ACCESS_TOKEN_TYPE,
    )
    first = await token(form, s.header, s.svc)
    act = {"sub": s.service.client_id, "client_id": s.service.client_id}
    assert s.svc.keys.verify(first["access_token"])["act"] == act
    assert (await _record(s.svc, first["access_token"])).act == act
    seen = await introspect({"token": first["access_token"]}, s.header, s.svc)
    assert seen["act"] == act

    # the exchanged token, issued to the service, exchanged again with another actor
    second_actor = await token({"grant_type": "client_credentials"}, s.header, s.svc)
    again = _form(
        first["access_token"],
        actor_token=second_actor["access_token"],
        actor_token_type=ACCESS_TOKEN_TYPE,
    )
    second = await token(again, s.header, s.svc)
    assert s.svc.keys.verify(second["access_token"])["act"] == act | {"act": act}


async def test_the_actor_chain_has_a_limit() -> None:
    config = ENABLED.model_copy(update={"tokenExchangeMaxActorDepth": 1})
    s = await _setup(config)
    actor = await token({"grant_type": "client_credentials"}, s.header, s.svc)
    extra = {"actor_token": actor["access_token"], "actor_token_type": ACCESS_TOKEN_TYPE}
    first = await token(_form(s.tokens["access_token"], **extra), s.header, s.svc)
    with pytest.raises(InvalidRequest, match="tokenExchangeMaxActorDepth"):
        await token(_form(first["access_token"], **extra), s.header, s.svc)


async def test_a_client_credentials_token_is_no_subject_token() -> None:
    s = await _setup()
    own = await token({"grant_type": "client_credentials"}, s.header, s.svc)
    with pytest.raises(InvalidRequest, match="must represent a user"):
        await token(_form(own["access_token"]), s.header, s.svc)


async def test_an_invalid_actor_token_is_invalid_grant() -> None:
    s = await _setup()
    form = _form(s.tokens["access_token"], actor_token="nope", actor_token_type=ACCESS_TOKEN_TYPE)
    with pytest.raises(InvalidGrant, match="actor_token"):
        await token(form, s.header, s.svc)


async def test_an_id_token_is_a_subject_token_while_its_session_lives() -> None:
    s = await _setup()
    id_token = s.tokens["id_token"]
    body = await token(_form(id_token, ID_TOKEN_TYPE), s.header, s.svc)
    issued = await _record(s.svc, body["access_token"])
    subject = await _record(s.svc, s.tokens["access_token"])
    assert issued.user_id == subject.user_id
    assert issued.scope == ("openid",)
    assert body["scope"] == "openid"
    with pytest.raises(InvalidScope):
        await token(_form(id_token, ID_TOKEN_TYPE, scope="openid email"), s.header, s.svc)
    # a forged or foreign id_token is refused
    with pytest.raises(InvalidGrant):
        await token(_form(id_token[:-4] + "AAAA", ID_TOKEN_TYPE), s.header, s.svc)
    # logout ends the session: the id_token is no longer accepted
    session = await s.svc.sessions.by_sid(subject.sid or "")
    assert session is not None
    await s.svc.sessions.end(session.session_hash)
    with pytest.raises(InvalidGrant, match="login session has ended"):
        await token(_form(id_token, ID_TOKEN_TYPE), s.header, s.svc)


async def test_an_expired_id_token_is_refused() -> None:
    s = await _setup()
    advance(s.svc, s.svc.config.current.idTokenLifetime + 1)
    with pytest.raises(InvalidGrant):
        await token(_form(s.tokens["id_token"], ID_TOKEN_TYPE), s.header, s.svc)


async def test_an_id_token_actor_names_its_user() -> None:
    s = await _setup(jwt=True)
    form = _form(
        s.tokens["access_token"],
        actor_token=s.tokens["id_token"],
        actor_token_type=ID_TOKEN_TYPE,
    )
    body = await token(form, s.header, s.svc)
    act = s.svc.keys.verify(body["access_token"])["act"]
    assert act["client_id"] == s.frontend.client_id
    assert act["sub"] == s.svc.keys.verify(body["access_token"])["sub"]


async def test_a_rotated_refresh_token_revokes_its_grant() -> None:
    s = await _setup()
    own = await refreshing_client(
        s.svc,
        secret=SECRET,
        grant_types=["authorization_code", "refresh_token", TOKEN_EXCHANGE],
        token_exchange_audiences=[DOWNSTREAM],
    )
    auth = basic(own.client_id, SECRET)
    issued = await issue_code(s.svc, own, method=None)
    first = await token(code_form(issued), auth, s.svc)
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = await token(form, auth, s.svc)
    # within the grace window: refused, nothing revoked
    with pytest.raises(InvalidGrant, match="invalid, expired or revoked"):
        await token(_form(first["refresh_token"], REFRESH_TOKEN_TYPE), auth, s.svc)
    assert (await _record(s.svc, second["refresh_token"])).revoked_at is None
    advance(s.svc, s.svc.config.current.refreshTokenReuseGracePeriod + 1)
    with pytest.raises(InvalidGrant, match="already used"):
        await token(_form(first["refresh_token"], REFRESH_TOKEN_TYPE), auth, s.svc)
    assert (await _record(s.svc, second["refresh_token"])).revoked_at is not None


async def test_the_scope_stays_within_the_clients_registered_scope() -> None:
    s = await _setup(scope=["openid", "email"])
    body = await token(_form(s.tokens["access_token"]), s.header, s.svc)
    assert body["scope"] == "openid email"
    with pytest.raises(InvalidScope, match="not registered for the requested scope"):
        await token(_form(s.tokens["access_token"], scope="openid profile"), s.header, s.svc)
    none = await _setup(scope=["offline_access"])
    with pytest.raises(InvalidScope, match="registered for none"):
        await token(_form(none.tokens["access_token"]), none.header, none.svc)
