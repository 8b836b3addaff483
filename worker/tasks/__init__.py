"""Task functions run by the worker; each is registered by kind in :mod:`app.jobs.kinds`."""
