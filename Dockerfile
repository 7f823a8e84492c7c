# wirerelay: a two-stage image. The first stage builds (AssemblyScript + TypeScript) and packs the
# npm tarball; the second installs only that tarball and its runtime dependencies and runs as the
# unprivileged `node` user. See docs/deploy.md for the ports, volume, signals and health check.

FROM node:20-bookworm-slim AS build
WORKDIR /src
# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && mkdir -p /pkg && npm pack --ignore-scripts --pack-destination /pkg

FROM node:20-bookworm-slim
ENV NODE_ENV=production
COPY --from=build /pkg/ /tmp/pkg/
RUN npm install --global --omit=dev --no-audit --no-fund /tmp/pkg/wirerelay-*.tgz \
 && rm -rf /tmp/pkg /root/.npm \
 && mkdir -p /data && chown node:node /data
USER node
# Settings as WIRERELAY_* variables (docs/deploy.md); wirerelay.conf in /data is read too.
# The P2P port listens on all interfaces; the admin endpoint stays on loopback inside the container.
ENV WIRERELAY_DATA_DIR=/data \
    WIRERELAY_LISTEN=0.0.0.0:18444
VOLUME ["/data"]
EXPOSE 18444
# `docker stop` sends SIGTERM to PID 1, which is node itself (exec form, no shell): the node closes
# its peers and flushes its state. SIGHUP (`docker kill -s HUP`) reopens --log-file.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/status').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["wirerelay"]
CMD ["start"]
