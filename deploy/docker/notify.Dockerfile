# Image of the notify service: FastAPI and its Kafka subscribers in one process (uvicorn).
# Built from the repository root, as docker-compose.yml does:
#
#   docker build -f deploy/docker/notify.Dockerfile -t identity-platform/notify .
#
# The five service Dockerfiles in deploy/docker/ are the same but for the service name and
# port. Configuration comes from environment variables (X-09, servicekit.settings); the image
# only sets what every container needs: listen on all interfaces, on the service's port.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: the project's wheel (libs/contracts, servicekit, webkit, services) in a venv -----
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /src
COPY pyproject.toml ./
COPY libs ./libs
COPY services ./services

RUN python -m pip wheel --no-deps --wheel-dir /dist . \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install /dist/*.whl

# --- runtime: the venv only, run as an unprivileged user -------------------------------------
FROM ${PYTHON_IMAGE}

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-log-init \
        --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin app

COPY --from=build /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SERVICE_NAME=notify \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8002

USER 10001:10001
EXPOSE 8002

# Liveness (X-08). The slim image has no curl: ask with the standard library.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('HTTP_PORT', '8002') + '/healthz', timeout=3)"]

CMD ["python", "-m", "services.notify"]
