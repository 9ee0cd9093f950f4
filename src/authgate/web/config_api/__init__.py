"""The Config API's HTTP adapter: Starlette handlers over :mod:`authgate.admin`'s use cases,
the bearer/DPoP protection of its routes, and the OpenAPI document's route."""
