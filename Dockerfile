# syntax=docker/dockerfile:1
#
# prebuild-controller: a build stage (npm ci, TypeScript compile) and a runtime stage with
# production dependencies only, running as a non-root user. The image has no embedded PostgreSQL:
# `run`, `migrate` and `provisionerd` need DATABASE_URL (or DATABASE_URL_FILE).
#
#   docker build -t prebuild-controller:0.1.0 .
#   docker run --rm -e DATABASE_URL=postgres://... -e PREBUILD_CONTROLLER_API_TOKEN=... -p 8080:8080 prebuild-controller:0.1.0
#
# `run` listens on 0.0.0.0 here, so it refuses to start without an API token (exit code 2)
# unless --insecure-no-token is given (docs/security.md).
#
# test/deploy/image.test.ts reproduces the runtime stage's install in a temporary folder (the
# COPY lines and the npm ci command of the runtime stage below) and runs --help, migrate and run
# from it, so a dev-only import or a file missing here fails CI.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would compile before the sources are here; we compile below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM to the controller and reaps the processes exec builds leave.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
# A young generation of 2 x 8 MB instead of V8's 2 x 16 MB: 20 MB less RSS at 100k workspaces for
# about 4 % more CPU (BENCHMARKS.md); the old generation follows PREBUILD_CONTROLLER_HEAP_GROWTH_PERCENT.
ENV NODE_ENV=production \
  NODE_OPTIONS=--max-semi-space-size=8 \
  PREBUILD_CONTROLLER_LISTEN=0.0.0.0:8080 \
  PREBUILD_CONTROLLER_METRICS_LISTEN=0.0.0.0:9464
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY sql ./sql
COPY migrations ./migrations
COPY schema ./schema
RUN ln -s /app/bin/docker-entrypoint.sh /usr/local/bin/prebuild-controller
# The image's own user "node" (uid 1000); nothing under /app is writable by it.
USER 1000:1000
EXPOSE 8080 9464
ENTRYPOINT ["tini", "--", "prebuild-controller"]
CMD ["run"]
