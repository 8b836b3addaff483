"""The route × role access matrix, one module per area; each module defines ``ROUTES`` and ``SAMPLES``.

A row is ``(method, path, {role: status})`` for every role and anonymous (``None``); 302 for anonymous means
"sent to the login page". ``SAMPLES`` gives the value substituted for each URL parameter. A new route must be
listed, or ``test_matrix_covers_every_route`` fails.
"""

import importlib
import pkgutil

ANON, CLIN, ADMIN, AUDIT = None, "clinician", "admin", "auditor"
ROLES = (ANON, CLIN, ADMIN, AUDIT)

MATRIX: list = []
SAMPLES: dict = {}
for _module in pkgutil.iter_modules(__path__):
    _area = importlib.import_module(f"{__name__}.{_module.name}")
    MATRIX.extend(_area.ROUTES)
    SAMPLES.update(getattr(_area, "SAMPLES", {}))
