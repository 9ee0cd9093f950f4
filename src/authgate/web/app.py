"""The ASGI application: routes, error handlers and the server's lifespan."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from authgate.core import endpoints
from authgate.runtime import Runtime
from authgate.settings import Settings
from authgate.web import device_page, interaction, pages, second_factor, selfservice
from authgate.web.account.factors import routes as account_factor_routes
from authgate.web.account.identities import routes as account_identity_routes
from authgate.web.account.profile import routes as profile_routes
from authgate.web.account.views import routes as account_routes
from authgate.web.config_api.routes import routes as config_api_routes
from authgate.web.cors import CorsMiddleware, cors_endpoints
from authgate.web.endpoints import (
    authorize,
    device_authorization,
    end_session,
    introspection,
    par,
    register,
    revocation,
    token,
    userinfo,
    wellknown,
)
from authgate.web.errors import HANDLERS
from authgate.web.federation.routes import routes as federation_routes
from authgate.web.health import health_routes
from authgate.web.i18n import PageContextMiddleware
from authgate.web.limits import RequestLimits
from authgate.web.observe import ObservedApp
from authgate.web.passkeys import account as passkey_account
from authgate.web.passkeys import login as passkey_login
from authgate.web.passkeys.script import passkeys_script
from authgate.web.playground import playground_routes
from authgate.web.rate_limits import RateLimitMiddleware

logger = logging.getLogger(__name__)


def routes() -> list[Route]:
    table = [
        Route(endpoints.AUTHORIZE, authorize.authorize, methods=["GET", "POST"]),
        Route(endpoints.TOKEN, token.token, methods=["POST"]),
        Route(endpoints.PAR, par.par, methods=["POST"]),
        Route(endpoints.REGISTER, register.register, methods=["POST"]),
        Route(endpoints.REGISTER, register.client_configuration, methods=["GET", "PUT", "DELETE"]),
        Route(endpoints.USERINFO, userinfo.userinfo, methods=["GET", "POST"]),
        Route(endpoints.JWKS, wellknown.jwks, methods=["GET"]),
        Route(endpoints.REVOKE, revocation.revoke, methods=["POST"]),
        Route(endpoints.INTROSPECTION, introspection.introspection, methods=["POST"]),
        Route(endpoints.END_SESSION, end_session.end_session, methods=["GET", "POST"]),
        Route(endpoints.LOGIN_PAGE, interaction.login_page, methods=["GET"]),
        Route(endpoints.LOGIN_PAGE, interaction.login_submit, methods=["POST"]),
        Route(endpoints.CONSENT_PAGE, interaction.consent_page, methods=["GET"]),
        Route(endpoints.CONSENT_PAGE, interaction.consent_submit, methods=["POST"]),
        *federation_routes(),
        Route(endpoints.DEVICE_PAGE, device_page.device_page, methods=["GET"]),
        Route(endpoints.DEVICE_PAGE, device_page.device_answer, methods=["POST"]),
        Route(
            endpoints.DEVICE_AUTHORIZATION,
            device_authorization.device_authorization,
            methods=["POST"],
        ),
        Route(endpoints.FACTOR_PAGE, second_factor.factor_page, methods=["GET"]),
        Route(endpoints.FACTOR_PAGE, second_factor.factor_submit, methods=["POST"]),
        Route(endpoints.ENROL_PAGE, second_factor.enrol_page, methods=["GET"]),
        Route(endpoints.ENROL_PAGE, second_factor.enrol_submit, methods=["POST"]),
        *passkey_routes(),
    ]
    table += [
        Route(path, wellknown.openid_configuration, methods=["GET"])
        for path in endpoints.DISCOVERY_PATHS
    ]
    table += account_routes()
    table += account_factor_routes()
    table += profile_routes()
    table += selfservice.routes()
    table += account_identity_routes()
    table += config_api_routes()
    table += health_routes()
    table += playground_routes()
    return table


def passkey_routes() -> list[Route]:
    account = endpoints.ACCOUNT_PASSKEYS
    return [
        Route(endpoints.PASSKEY_SCRIPT, passkeys_script, methods=["GET"]),
        Route(endpoints.PASSKEY_OPTIONS, passkey_login.options, methods=["POST"]),
        Route(endpoints.PASSKEY_LOGIN, passkey_login.login_submit, methods=["POST"]),
        Route(account, passkey_account.passkeys_page, methods=["GET"]),
        Route(f"{account}/options", passkey_account.registration_options, methods=["POST"]),
        Route(f"{account}/register", passkey_account.register, methods=["POST"]),
        Route(f"{account}/rename", passkey_account.rename, methods=["POST"]),
        Route(f"{account}/remove", passkey_account.remove, methods=["POST"]),
        Route(f"{account}/confirm", passkey_account.confirm, methods=["POST"]),
        Route(f"{account}/confirm-options", passkey_account.confirm_options, methods=["POST"]),
    ]


def routed_methods(table: list[Route]) -> dict[str, frozenset[str]]:
    """Each routed path and every method some route accepts on it."""
    methods: dict[str, frozenset[str]] = {}
    for route in table:
        methods[route.path] = methods.get(route.path, frozenset()) | frozenset(route.methods or ())
    return methods


#: Allocations between young-generation collections (CPython's default is 700).
GC_YOUNG_THRESHOLD = 50_000


def settle_heap() -> None:
    """Tune the cyclic garbage collector for serving, once start-up is done.

    Everything allocated while starting (modules, routes, compiled statements, templates,
    keys, configuration) lives as long as the process: ``gc.freeze`` moves it out of the
    collector's reach, so full collections no longer walk it. Collecting the young generation
    every 50,000 allocations instead of 700 suits a server whose requests allocate many
    short-lived objects and free them by reference counting. Full collections walking every
    start-up object paused the event loop and set the token p99; the measurement is in
    docs/benchmarks.md ("A settled heap").
    """
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)
    gc.enable()  # off while `authgate serve` started (authgate.startup.collector)


def create_app(
    settings: Settings, runtime: Runtime | None = None, *, migrate: bool = True
) -> Starlette:
    """Build the application.

    Args:
        settings: Process settings.
        runtime: An already started runtime (tests); when omitted, the lifespan starts one
            (migrating the database and bootstrapping a fresh install) and stops it.
        migrate: Whether that runtime upgrades the schema first.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if runtime is not None:
            app.state.runtime = runtime
            yield
            return
        started = await Runtime.start(settings, migrate=migrate)
        app.state.runtime = started
        settle_heap()
        try:
            yield
        finally:
            await started.stop()

    pages.configure(settings.theme_dir)
    table = routes()
    cors = Middleware(CorsMiddleware, endpoints=cors_endpoints(routed_methods(table)))
    # Observation and the request limits outermost (ObservedApp), before anything reads the
    # request; then CORS, around Starlette's server-error handling, so every answer of a CORS
    # endpoint carries its headers: 500s, request-limit refusals, 429s and the errors of
    # web/errors.py; preflights are answered before rate counting.
    middleware = [Middleware(RateLimitMiddleware)]
    app = ObservedApp(
        routes=[*table, *pages.theme_routes()],
        middleware=middleware,
        # the page context first: every page, 500s included, knows its request's language
        outer=[Middleware(PageContextMiddleware), cors],
        exception_handlers=HANDLERS,
        lifespan=lifespan,
        access_log=settings.access_log,
        trusted_proxies=settings.trusted_proxy_networks,
        limits=RequestLimits.from_settings(settings),
    )
    if runtime is not None:
        app.state.runtime = runtime
    return app
