# The fluorowatch image: one image for migrate, api, ingest, worker, the mosquitto-files job and simulated agents
# (docker-compose.yml); the command chooses the process. Runtime dependencies only, as a non-root user.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY fluorowatch ./fluorowatch
COPY ingest ./ingest
COPY detectors ./detectors
COPY api ./api
COPY alerts ./alerts
COPY edge_agent ./edge_agent
COPY compliance ./compliance
COPY storage ./storage
RUN pip install . && rm -rf /app/build

# fluorowatch runs as uid 10001. /mosquitto/auth is the mount point of the broker's password and ACL volume:
# owned by Mosquitto's uid (1883) here so the empty named volume starts out writable by the mosquitto-files
# job, which runs as that uid (docker-compose.yml), and Mosquitto finds its files owned by itself, mode 0600.
RUN groupadd --system --gid 10001 fluorowatch \
    && useradd --system --uid 10001 --gid fluorowatch --home-dir /var/lib/fluorowatch --create-home fluorowatch \
    && mkdir -p /mosquitto/auth /var/lib/fluorowatch/agent \
    && chown 1883:1883 /mosquitto/auth \
    && chown -R fluorowatch:fluorowatch /var/lib/fluorowatch
USER fluorowatch
WORKDIR /var/lib/fluorowatch
ENV FLUOROWATCH_DATA_DIR=/var/lib/fluorowatch

# No entrypoint: each service's command is a whole `fluorowatch ...` command line (tests/test_compose.py parses it).
CMD ["fluorowatch", "--help"]
