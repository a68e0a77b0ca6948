#!/usr/bin/env bash
# Backs up the shipped example (examples/quickstart) into a new temporary directory, for real,
# then shows where everything went.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh runtime
root=$(mktemp -d "${TMPDIR:-/tmp}/polyarchiv-example.XXXXXX")
data=${PWD}/examples/quickstart/data
node dist/bin/main.js backup -C examples/quickstart --set "root=${root}" --set "data=${data}"
echo
echo "Backed up ${data}"
echo "  collect point: ${root}/collect/site/backups"
echo "  backup point:  ${root}/mirror/site"
echo "  state:         ${root}/collect/site/metadata/collect_point/site.json"
echo
find "${root}/mirror" -type f | sort
echo
echo "Review the same run as a script: node dist/bin/main.js plan -C examples/quickstart --set root=${root} --set data=${data}"
