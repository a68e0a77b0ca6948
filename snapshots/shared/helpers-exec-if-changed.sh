# shellcheck shell=bash

# Runs a command only when a probe says something changed: the probe exits 1 for "changed" (as
# git diff --quiet does), 0 for "nothing to do" (MESSAGE is said, the step succeeds); any other
# status fails the step with that status. Arguments: MESSAGE N, the N words of the probe, then
# the command's words.
polyarchiv_exec_if_changed() {
  local message=$1 count=$2 rc=0
  shift 2
  "${@:1:count}" || rc=$?
  case ${rc} in
    0) polyarchiv_say "  ${message}" ;;
    1) "${@:count+1}" ;;
    *) return "${rc}" ;;
  esac
}
