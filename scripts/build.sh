#!/usr/bin/env bash
# Installs what is missing, then configures and builds the release preset
# (build/release: RelWithDebInfo, Ninja, ccache).
#
# Usage: scripts/build.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
