"""Flask commands, one module per area; each module's ``COMMANDS`` are registered here."""

from app.commands import demo, evaluate, ingest, jobs, kb, monitor, train, users, vocab, worker

MODULES = (users, worker, kb, jobs, vocab, ingest, demo, evaluate, train, monitor)


def init_app(app) -> None:
    for module in MODULES:
        for command in module.COMMANDS:
            app.cli.add_command(command)
