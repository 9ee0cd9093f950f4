"""Thin Starlette adapters around the protocol core."""
