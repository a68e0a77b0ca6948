# Unit functions are called by name from polyarchiv_run_unit, which shellcheck cannot follow.
# shellcheck disable=SC2317
if [[ -z ${BASH_VERSION:-} ]] || ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 4))); then
  echo "polyarchiv: this script needs bash 4.4 or newer" >&2
  exit 2
fi
set -Eeuo pipefail
shopt -s inherit_errexit
umask 077
export LC_ALL=C
