# recoms-bot in a container: the wheel installed with the runtime lock only, run as a non-root
# user. The RUN lines are .ci/wheel-check's, word for word (a test compares them), and CI runs
# wheel-check on every change; no container runtime runs there, so this file itself is not built
# in CI. Build: docker build -t recoms-bot .   Run: see compose.yaml and README, "Deploying".
ARG BASE=python:3.11-slim-bookworm

FROM ${BASE} AS build
ENV PYTHON=python src=/src work=/build
COPY . /src
RUN "$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$src"

FROM ${BASE}
ENV PYTHON=python src=/src work=/opt/recoms
COPY requirements.lock /src/requirements.lock
COPY --from=build /build/dist /opt/recoms/dist
RUN "$PYTHON" -m venv "$work/venv" \
 && "$work/venv/bin/pip" install --quiet --require-hashes --no-deps -r "$src/requirements.lock" \
 && "$work/venv/bin/pip" install --quiet --no-deps "$work/dist"/*.whl \
 && "$work/venv/bin/pip" check
RUN rm -rf /opt/recoms/dist /src /root/.cache \
 && useradd --system --uid 10001 --create-home --home-dir /app recoms \
 && mkdir /app/var && chown recoms:recoms /app/var

USER recoms
WORKDIR /app
# A container is reached from outside it: listen on every address. Set RECOMS_API_KEY (compose.yaml
# insists on it): without it every route would be open to whoever reaches the port.
ENV PATH=/opt/recoms/venv/bin:$PATH PYTHONUNBUFFERED=1 BOT_HOST=0.0.0.0 BOT_PORT=8080
# SQLite's default file (var/recoms.db) and anything else the processes keep.
VOLUME /app/var
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('BOT_PORT', '8080'), timeout=4)"
CMD ["recoms-bot", "run"]
