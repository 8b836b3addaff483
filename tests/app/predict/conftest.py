"""The prediction tests' app: the test session's knowledge base, the test body in a twin's context."""

import pytest

from tests.kb_build import session_kb_dir


@pytest.fixture
def app_settings() -> dict:
    """Config overrides of the module's app; a module overrides this fixture to change them."""
    return {}


@pytest.fixture
def make_kb_app(make_app, tmp_path_factory):
    """Return a factory of apps on the session's knowledge base, with config overrides."""

    def make(**overrides):
        return make_app(KB_DIR=str(session_kb_dir(tmp_path_factory)), **overrides)

    return make


@pytest.fixture
def app(make_kb_app, app_settings):
    """Yield the app under test while a twin's context is pushed for the test body (see tests/conftest.py)."""
    app = make_kb_app(**app_settings)
    with make_kb_app(**app_settings).app_context():
        yield app
