"""Benchmark login timing: a wrong password on a known e-mail against an unknown e-mail (issue #16, item 7).

Run from the repository root: ``.venv/bin/python bench/bench_login.py [--repeats 30]``. It builds the app on a
scratch SQLite database with the production hash profile (RFC_9106_LOW_MEMORY) and times ``POST /auth/login``
through the test client; the two medians should be within a few per cent of each other.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import User  # noqa: E402
from config import Config  # noqa: E402


def time_logins(client, email: str, repeats: int) -> list[float]:
    """Return the milliseconds of ``repeats`` failed logins for ``email``."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.post("/auth/login", data={"email": email, "password": "wrong password"})
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (401, 429), response.status_code
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        config = Config(SECRET_KEY="bench", INSTANCE_DIR=scratch, WTF_CSRF_ENABLED=False,
                        SQLALCHEMY_DATABASE_URI=f"sqlite:///{scratch}/bench.sqlite3",
                        STORAGE_URL=Path(scratch).as_uri(), LOGIN_MAX_FAILURES=10**6)  # never lock
        app = create_app(config)
        with app.app_context():
            upgrade()
            user = User(email="known@example.org", role="clinician")
            user.set_password("correct horse battery staple")
            db.session.add(user)
            db.session.commit()
        client = app.test_client()
        time_logins(client, "known@example.org", 3)  # warm up
        known = time_logins(client, "known@example.org", args.repeats)
        unknown = time_logins(client, "nobody@example.org", args.repeats)
    print(f"profile {config.PASSWORD_HASH_PROFILE}, {args.repeats} logins each")
    print(f"known e-mail, wrong password: median {statistics.median(known):.1f} ms")
    print(f"unknown e-mail:               median {statistics.median(unknown):.1f} ms")


if __name__ == "__main__":
    main()
