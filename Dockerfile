# tracegraph server image: installed at build time (with the Neo4j, Dgraph, MCP and Kafka extras),
# the ingest path compiled with mypyc (TRACEGRAPH_COMPILE=1: pyproject's
# [tool.tracegraph.compile], setup.py; the C compiler is removed again in the same layer),
# run as a non-root user, the embedded store and API keys in the /data volume.
#
#   docker build -t tracegraph .
#   docker run --rm -v tracegraph-data:/data tracegraph keys create --tenant acme
#   docker run -d -p 127.0.0.1:8000:8000 -v tracegraph-data:/data tracegraph
#
# See docs/containers.md and docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /build
COPY pyproject.toml setup.py README.md schema.graphql ./
COPY build_backend ./build_backend
COPY api ./api
COPY graph ./graph
COPY schema ./schema
COPY bench ./bench
COPY sdk ./sdk
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && TRACEGRAPH_COMPILE=1 pip install --root-user-action=ignore '.[all,mcp]' \
    && apt-get purge -y --auto-remove gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/* /build

RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home tracegraph \
    && mkdir -p /data \
    && chown tracegraph:tracegraph /data \
    && chmod 0700 /data

USER tracegraph
WORKDIR /data
ENV TRACEGRAPH_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]

ENTRYPOINT ["tracegraph"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
