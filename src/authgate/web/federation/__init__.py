"""Sign-in through upstream identity providers: the login page's buttons lead to
:func:`routes.login`, which sends the browser upstream; :func:`routes.callback` takes it back.
docs/federation.md."""
