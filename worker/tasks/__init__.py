"""Task functions run by the worker; each is registered by kind in :mod:`worker.registry`."""
