#!/bin/sh
# Run the whole test suite. As root, inside a network namespace that holds only `lo`,
# so nothing can leave the machine; elsewhere on plain loopback (Chromium's host-resolver
# guard and the request fixture still fail any request off loopback).
set -eu
cd "$(dirname "$0")/.."
PYTEST=".venv/bin/python -m pytest"
if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
    echo "[test] running in a network namespace with only loopback"
    exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh $PYTEST "$@"
fi
echo "[test] unshare unavailable: running on plain loopback"
exec $PYTEST "$@"
