#!/usr/bin/env bash
# Runs Lodestar's whole test suite. On a fresh Debian machine run as root, it first installs what the tests
# need (Node.js for the real client libraries); the npm dependencies are installed from the lock files.
set -euo pipefail
cd "$(dirname "$0")"

need() { command -v "$1" >/dev/null 2>&1; }

if ! need node || ! need npm; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "The tests need Node.js and npm; install them (or run this script as root)." >&2
    exit 1
  fi
fi

for dir in tests/e2e-node/*/; do
  if [ -f "$dir/package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

dotnet test Lodestar.slnx --configuration Release "$@"
