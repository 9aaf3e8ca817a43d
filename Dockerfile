# syntax=docker/dockerfile:1
# PrescripCare API and worker image: `prescripcare serve` by default,
# `prescripcare worker`, `migrate` or `backup` by overriding the command.

# --- build: wheels and a virtual environment, with compilers if needed ----
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
# The runtime lock first (its own layer, cached until the lock changes):
# exactly the pinned, hash-checked dependencies, no embedded servers or test tools.
COPY requirements/uv.txt requirements/runtime.txt ./requirements/
RUN pip install --no-compile --require-hashes -r requirements/uv.txt \
    && uv pip install --python /opt/venv/bin/python --no-compile --require-hashes -r requirements/runtime.txt
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN uv pip install --python /opt/venv/bin/python --no-compile --no-deps . \
    && /opt/venv/bin/python -m compileall -q /opt/venv/lib

# --- runtime: slim, non-root, no build tools -------------------------------
FROM python:3.11-slim-bookworm AS runtime
# postgresql-client (15 on bookworm) for `prescripcare backup`/`restore`:
# pg_dump must match the server's major version (see docs/operations.md).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 prescripcare \
    && useradd --system --uid 10001 --gid prescripcare --home-dir /app --shell /usr/sbin/nologin prescripcare
COPY --from=build /opt/venv /opt/venv
# The commit this image is built from (`--build-arg BUILD_COMMIT=$(git rev-parse
# HEAD)`, as CI does): /health and Sentry's release name it. Declared last so a
# new commit rebuilds only this layer. MPLCONFIGDIR: matplotlib (the
# adherence report's charts) keeps its font cache there; the home directory
# is not writable by the service user.
ARG BUILD_COMMIT=""
ENV BUILD_COMMIT=$BUILD_COMMIT \
    PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PRESCRIPCARE_ENV=production \
    PORT=8000 \
    MPLCONFIGDIR=/tmp/matplotlib
WORKDIR /app
USER 10001:10001
EXPOSE 8000 9100
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/health', timeout=2)"]
# tini forwards SIGTERM so uvicorn drains (and reaps the odd child).
ENTRYPOINT ["tini", "--", "prescripcare"]
CMD ["serve", "--host", "0.0.0.0"]
