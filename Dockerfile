# dxflow: one image for the web app (default), the worker, the scheduler and the migration job.
#   docker build -t dxflow .      then      docker run -p 8000:8000 dxflow
# See docs/DEPLOY.md. BASE_IMAGE must provide python3 (3.11+) with its venv module.
ARG BASE_IMAGE=python:3.11-slim

# --- builder: wheels of every dependency, so the final stage needs no compiler or build tool ---------------------
FROM ${BASE_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python3 -m venv /opt/build
WORKDIR /src
COPY pyproject.toml ./
# Only the dependency list: this layer, the slow one, is rebuilt when pyproject.toml changes, not on every edit.
RUN python3 -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > requirements.txt \
    && /opt/build/bin/pip wheel --wheel-dir /wheels -r requirements.txt

# --- final: the wheels, the source, the compiled catalogues and the knowledge base; runs as an unprivileged user ---
FROM ${BASE_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    FLASK_APP=wsgi:app \
    DXFLOW_INSTANCE_DIR=/var/lib/dxflow \
    KB_DIR=/opt/dxflow/kb \
    PORT=8000 \
    WEB_CONCURRENCY=2
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-index --find-links /wheels /wheels/*.whl \
    && groupadd --system --gid 10001 dxflow \
    && useradd --system --uid 10001 --gid dxflow --home-dir /var/lib/dxflow --shell /usr/sbin/nologin dxflow \
    && install -d -o dxflow -g dxflow -m 0750 /var/lib/dxflow

# The source runs from /app (config.py, wsgi.py and migrations/ sit beside the packages), owned by root: read-only.
WORKDIR /app
COPY config.py wsgi.py babel.cfg pyproject.toml ./
COPY migrations migrations
COPY data data
COPY ml ml
COPY worker worker
COPY app app
COPY docker docker
# Catalogues, bytecode and the knowledge base at build time, so a container serves within seconds. The build's own
# instance folder (development secrets, an empty SQLite file) is thrown away: nothing secret stays in the image.
RUN pybabel compile --use-fuzzy -d app/translations \
    && python3 -m compileall -q app ml worker config.py wsgi.py \
    && DXFLOW_INSTANCE_DIR=/tmp/build-instance flask kb build \
    && rm -rf /tmp/build-instance \
    && chmod 0755 docker/entrypoint.sh

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["python3", "/app/docker/healthcheck.py"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
