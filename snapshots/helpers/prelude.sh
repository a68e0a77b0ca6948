# Unit functions are called by name from polyarchiv_run_unit, which shellcheck cannot follow.
# shellcheck disable=SC2317
# POSIX sh on purpose, so that sh and dash stop here with this message rather than a syntax error.
# shellcheck disable=SC2292
if [ -z "${BASH_VERSION:-}" ]; then
  echo "polyarchiv: this script needs bash 4.4 or newer: run it with bash" >&2
  exit 2
fi
if ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 4))) || shopt -oq posix; then
  echo "polyarchiv: this script needs bash 4.4 or newer, not in POSIX mode: run it with bash" >&2
  exit 2
fi
set -Eeuo pipefail
shopt -s inherit_errexit
umask 077
export LC_ALL=C
