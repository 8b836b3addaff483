"""The model registry as the app sees it: register signed bundles, promote and roll back, serve the champion.

A service package without pages (the models page lives in :mod:`app.training`): the prediction page, monitoring
and training all call it, so it must not depend on any blueprint.
"""
