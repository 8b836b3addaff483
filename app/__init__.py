"""The dxflow web application."""

from __future__ import annotations

from flask import Flask

from config import BASE_DIR, Config


def create_app(config: Config | None = None) -> Flask:
    """Create and configure the dxflow web application."""
    config = config or Config.from_env()
    app = Flask(__name__, instance_path=config.INSTANCE_DIR)
    app.config.from_object(config)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    register_template_context(app)
    register_security_headers(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the extensions created in :mod:`app.extensions`."""
    from app import i18n
    from app.auth.session import init_login
    from app.extensions import csrf, db, migrate, queue

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    init_login(app)
    i18n.init_app(app)
    queue.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Mount one blueprint per area of the product."""
    from app import admin, api, auth, eda, jobs, main, monitoring, predict, training

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp, url_prefix="/auth")
    app.register_blueprint(admin.bp, url_prefix="/admin")
    app.register_blueprint(jobs.bp, url_prefix="/jobs")
    app.register_blueprint(predict.bp)
    app.register_blueprint(eda.bp, url_prefix="/eda")
    app.register_blueprint(training.bp, url_prefix="/training")
    app.register_blueprint(monitoring.bp, url_prefix="/monitoring")
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(api.health_bp)


def register_error_handlers(app: Flask) -> None:
    """Render error pages in the user's language, and JSON under /api."""
    from app.errors import init_app

    init_app(app)


def register_commands(app: Flask) -> None:
    """Add the ``flask users ...`` and ``flask worker`` commands."""
    from app.commands import init_app

    init_app(app)


def register_template_context(app: Flask) -> None:
    """Expose the navigation and service status to every template."""
    from app.main.context import init_app

    init_app(app)


def register_security_headers(app: Flask) -> None:
    """Send the Content-Security-Policy, nosniff, Referrer-Policy (and HSTS in production) on every response."""
    from app.security import init_app

    init_app(app)
