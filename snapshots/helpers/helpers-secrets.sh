# Tracing (bash -x) never shows a secret: it is off while one is handled, then put back as it was.
polyarchiv_hide_trace() {
  polyarchiv_trace=${-//[^x]/}
  set +x
}

polyarchiv_restore_trace() {
  if [[ -n ${polyarchiv_trace} ]]; then
    set -x
  fi
}

# Every secret variable is checked before anything is locked, created or recorded.
polyarchiv_require_secrets() {
  local name
  local -a missing=()
  polyarchiv_hide_trace
  for name in "$@"; do
    if [[ -z ${!name:-} ]]; then
      missing+=("${name}")
    fi
  done
  polyarchiv_restore_trace
  if ((${#missing[@]} > 0)); then
    printf 'polyarchiv: secret variables not set: %s (export them, or embed them with polyarchiv plan --include-secrets --out FILE)\n' "${missing[*]}" >&2
    exit 2
  fi
}
