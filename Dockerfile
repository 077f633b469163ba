# evidence-check HTTP API. Build: docker build -t evidence-check .
# A key must exist before the server listens beyond loopback (see compose.yaml):
#   docker compose run --rm api evidence-check keys create acme
# Build stage: pdqhash ships as source only and needs a compiler, which the image to run need not carry.
FROM python:3.11-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements/run.txt ./requirements/
# The lock's exact versions and hashes; --no-deps: the lock lists every package.
RUN pip wheel --no-cache-dir --wheel-dir /wheels --require-hashes --no-deps -r requirements/run.txt
COPY pyproject.toml README.md ./
COPY evidence_check ./evidence_check
COPY api ./api
RUN pip wheel --no-cache-dir --wheel-dir /wheels --no-deps .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY --from=build /wheels /wheels
RUN pip install --no-index --no-deps /wheels/*.whl && rm -rf /wheels

# Not root: the service only needs to read its code and write its store (a volume or PostgreSQL).
RUN useradd --create-home --uid 10001 evidence
USER evidence
ENV EVIDENCE_CHECK_DB=sqlite:////home/evidence/data/evidence-check.sqlite3
RUN mkdir -p /home/evidence/data

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
# Exec form: the server is PID 1 and gets SIGTERM itself, finishing requests in flight before it exits.
CMD ["evidence-check", "serve", "--host", "0.0.0.0", "--port", "8000"]
