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
# A hang-up (a closed window, a dropped ssh session) asks nothing to stop: the run carries on
# without its terminal, and so do the processes that write its log file and its tools (ignored,
# the signal stays so in every process started from here on, as under nohup); what it says goes
# on into its log file and its states.
trap '' HUP
shopt -s inherit_errexit
umask 077
export LC_ALL=C
# Secrets given in the environment stay this script's variables: a tool gets one only in its own
# environment, where the step that needs it passes it, never every tool (hooks included) all of them.
if [[ -n ${!POLYARCHIV_SECRET_*} ]]; then
  export -n "${!POLYARCHIV_SECRET_@}"
fi
