# syntax=docker/dockerfile:1
# The coach as a container: `coach run` by default; the same image runs every role
# (webhook worker, Discord shards, nudge sweep) with different arguments, see compose.yaml.
#   docker build -t resilience-coach .
#   docker run --env-file .env -p 8080:8080 resilience-coach

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY dialogs ./dialogs
COPY data ./data
# A wheel of the project and of every dependency: the final stage installs without a compiler.
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    # Logs are JSON lines on stderr (not a terminal); the ops port serves the health checks.
    OPS_HOST=0.0.0.0 \
    OPS_PORT=8080 \
    # SQLite by default, on the volume; set DATABASE_URL=postgresql+asyncpg://... for workers.
    DATABASE_URL=sqlite:////var/lib/coach/coach.db
# Versions are those the build stage resolved into /wheels; nothing is fetched here.
# hadolint ignore=DL3013
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels resilience-coach \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/coach --create-home coach
USER 10001:10001
WORKDIR /var/lib/coach
VOLUME ["/var/lib/coach"]
# 8080: /healthz /readyz /metrics; 8443: the Telegram webhook (TELEGRAM_MODE=webhook).
EXPOSE 8080 8443
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('OPS_PORT', '8080'), timeout=4)"]
# SIGTERM (docker stop) is a clean stop: updates in hand are finished, pending ones kept.
STOPSIGNAL SIGTERM
ENTRYPOINT ["coach"]
CMD ["run"]
