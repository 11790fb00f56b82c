#!/usr/bin/env bash
# Installs the Debian 12 packages molvault needs to build, test and serve.
# Idempotent: when every package is already installed it touches neither the
# network nor apt, so a second run takes well under a second.
#
# Usage: scripts/install-deps.sh        (as root; prints a sudo hint otherwise)
set -euo pipefail

packages=(
    # libraries
    librdkit-dev rdkit-data libboost-dev libinchi-dev libpq-dev libsqlite3-dev
    libhiredis-dev libjwt-dev libcrypt-dev libsodium-dev nlohmann-json3-dev
    libspdlog-dev libfmt-dev libcli11-dev libcurl4-openssl-dev liboath-dev
    libqrencode-dev libssl-dev
    # data embedded at build time: the common-password list (/usr/share/john/password.lst)
    john-data
    # tests and benchmarks
    libgtest-dev libgmock-dev libbenchmark-dev
    # toolchain
    ccache ninja-build cmake g++ pkg-config clang-format
    # servers and tools for tests and benchmarks
    postgresql redis-server python3-aiosmtpd python3-rdkit wrk curl
)

# One dpkg-query for all packages; it fails for packages dpkg has never heard of,
# which simply do not appear in its output.
declare -A installed=()
while read -r package status; do
    if [[ "$status" == installed ]]; then
        installed[$package]=1
    fi
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)

missing=()
for package in "${packages[@]}"; do
    [[ -v "installed[$package]" ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages are installed"
    exit 0
fi

echo "install-deps: missing: ${missing[*]}"
if ((EUID != 0)); then
    echo "install-deps: installing packages needs root; run:" >&2
    echo "    sudo bash scripts/install-deps.sh" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
# Recommends would pull in hundreds of MB nobody here uses (sysstat, X libraries, ...).
apt-get install -y --no-install-recommends "${missing[@]}"
echo "install-deps: done"
