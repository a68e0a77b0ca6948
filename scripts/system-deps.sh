#!/usr/bin/env bash
# Installs the Debian packages polyarchiv and its test suite use, when a tool is missing.
# Usage: scripts/system-deps.sh [runtime|test]   (default: test)
set -euo pipefail

declare -A package_of=(
  [rsync]=rsync
  [flock]=util-linux
  [sha256sum]=coreutils
  [shellcheck]=shellcheck
  [git]=git
  [ps]=procps
)
runtime_tools=(rsync flock sha256sum)
test_tools=("${runtime_tools[@]}" shellcheck git ps)

if [[ ${1:-test} == runtime ]]; then
  tools=("${runtime_tools[@]}")
else
  tools=("${test_tools[@]}")
fi

missing=()
for tool in "${tools[@]}"; do
  if ! command -v "${tool}" >/dev/null 2>&1; then
    missing+=("${package_of[${tool}]}")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "polyarchiv: missing Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "polyarchiv: installing Debian packages: ${missing[*]}" >&2
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
