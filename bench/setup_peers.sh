#!/bin/bash
# Create the peer interpreters' virtualenvs (LocalStack's and moto's) when
# they are missing, with the shared setup script, and print their root.
#
# LocalStack 2026.3.0 imports `warnings.deprecated`, which exists from
# Python 3.13 on, so the peers need a Python 3.13 even though the shared
# script calls its variable PY312.
#
# Usage: bench/setup_peers.sh [--force]
# Environment: PEERS_ROOT (default /tmp/heaviside-peers), PEERS_PYTHON
# (default python3.13), SHARED_BENCH (default ../shared/bench beside the repo).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${PEERS_ROOT:-/tmp/heaviside-peers}
python=${PEERS_PYTHON:-python3.13}
shared=${SHARED_BENCH:-$here/../../shared/bench}

if [[ "${1:-}" != "--force" ]] \
  && "$root/localstack/venv/bin/python" -c 'import localstack.services.stepfunctions' 2>/dev/null \
  && "$root/moto/venv/bin/python" -c 'import moto' 2>/dev/null; then
  echo "$root"
  exit 0
fi

if ! "$python" -c 'import sys; assert sys.version_info >= (3, 13)' 2>/dev/null; then
  echo "setup_peers.sh: $python is missing or older than 3.13; set PEERS_PYTHON to a Python 3.13 or newer" >&2
  exit 1
fi
PEERS_ROOT=$root PY312=$python bash "$shared/setup_peers.sh" >&2
echo "$root"
