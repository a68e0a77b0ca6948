#!/usr/bin/env bash
# Rewrites the README's engine reference from the option schema (npm run build first).
set -euo pipefail
cd "$(dirname "$0")/.."
reference=$(node dist/cli/main.js plugins --markdown)
REFERENCE=${reference} python3 - <<'PY'
import os, re
path = 'README.md'
text = open(path, encoding='utf-8').read()
begin = text.index('<!-- engines:begin')
begin = text.index('\n', begin) + 1
end = text.index('<!-- engines:end -->')
open(path, 'w', encoding='utf-8').write(text[:begin] + os.environ['REFERENCE'] + '\n' + text[end:])
PY
