# syntax=docker/dockerfile:1.7
# flotilla image: `flotilla <command>` (controller, manager, event-sink, ...) and `shardctl`.
#   docker build -t ghcr.io/flotilla/flotilla:0.1.0 .
# Stages: build (all dependencies, tsc → dist/) · deps (production dependencies only) · runtime
# (no compiler, no sources, no dev dependencies; non-root; tini as PID 1).
# A supported Node LTS (22 or 24; Node 20's support ended 2026-04-30). The code itself still runs
# on Node >= 20.19 (package.json engines), which is what a checkout and the npm package need.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY shard-manager ./shard-manager
# `flotilla example-agent` runs the example agent's code: tsc compiles it into dist/examples/.
COPY examples/agent ./examples/agent
# tsc emits JavaScript only: copy the runtime assets read beside the modules (e.g. Lua scripts),
# and bundle the console's page script (src/console/bundle.ts serves it prebuilt).
RUN npm run build \
 && (cd src && find . -type f ! -name '*.ts' ! -name '*.map' -exec install -D -m 0644 {} ../dist/src/{} \;) \
 && (cd shard-manager && find . -type f ! -name '*.ts' -exec install -D -m 0644 {} ../dist/shard-manager/{} \;) \
 && find dist -name '*.test.js*' -delete \
 && npx esbuild src/console/ui/main.ts --bundle --format=esm --target=es2022 --minify --legal-comments=none \
      --log-level=warning --outfile=dist/src/console/ui/app.js \
 && rm -f dist/src/console/ui/tsconfig.json

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error && npm cache clean --force

# The production dependencies with the large ones' JavaScript minified (no bundling, no renaming):
# V8 keeps a loaded module's source in the heap, and client-node's is 20 MiB of comments and
# indentation (scripts/slim-deps.mjs; bench/memory.ts --mode image measures the effect).
FROM build AS slim
COPY scripts/slim-deps.mjs ./scripts/
COPY --from=deps /app/node_modules ./runtime_modules
RUN node scripts/slim-deps.mjs runtime_modules

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 flotilla \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin flotilla
# MALLOC_ARENA_MAX: glibc gives each thread (libuv's pool, V8's workers) its own malloc arena and
# keeps their freed memory; two arenas cost no measurable CPU and keep the replica's RSS lower.
ENV NODE_ENV=production \
    FLOTILLA_USE_DIST=1 \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=slim --chown=root:root /app/runtime_modules ./node_modules
COPY --chown=root:root package.json ./
COPY --chown=root:root bin ./bin
COPY --from=build --chown=root:root /app/dist ./dist
# Files stay root-owned and read-only to the process; the chart also mounts the root filesystem
# read-only with an emptyDir on /tmp.
USER 10001:10001
EXPOSE 9090 8089
ENTRYPOINT ["tini", "--", "node", "bin/flotilla.mjs"]
CMD ["--help"]
