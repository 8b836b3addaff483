#!/bin/sh
# dxflow container entry point. The same image plays every role:
#   web        gunicorn on $PORT (default 8000) with $WEB_CONCURRENCY workers; the default
#   worker     an RQ worker on the dxflow queue (delayed jobs and retries are scheduled by RQ inside workers)
#   scheduler  RQ's cron scheduler for the periodic jobs listed in worker/cron.py; run exactly one
#   migrate    flask db upgrade, then exit
#   anything else runs as a command, e.g. `flask users create ...` or `flask kb info`.
# DB_AUTO_UPGRADE: 1 = web applies migrations before serving, 0 = never, auto (default) = only on SQLite, where a
# lone container owns its database; with PostgreSQL the one-shot `migrate` role does it once for every replica.
set -eu

uses_sqlite() {
    case "${DATABASE_URL:-sqlite:}" in
        sqlite:*) return 0 ;;
        *) return 1 ;;
    esac
}

auto_upgrade() {
    case "${DB_AUTO_UPGRADE:-auto}" in
        1 | true | yes) return 0 ;;
        auto) uses_sqlite ;;
        *) return 1 ;;
    esac
}

role=${1:-web}
[ $# -gt 0 ] && shift

case "$role" in
    web)
        if auto_upgrade; then
            flask db upgrade
        fi
        exec gunicorn --bind "0.0.0.0:${PORT:-8000}" --workers "${WEB_CONCURRENCY:-2}" \
            --timeout "${GUNICORN_TIMEOUT:-120}" --access-logfile - "$@" wsgi:app
        ;;
    worker)
        exec python3 -m worker "$@"
        ;;
    scheduler)
        exec rq cron --url "${REDIS_URL:-redis://127.0.0.1:6379/0}" "$@" worker.cron
        ;;
    migrate)
        exec flask db upgrade "$@"
        ;;
    *)
        exec "$role" "$@"
        ;;
esac
