
# Runs the command `run` only when the command `probe` says something changed: the probe exits 1
# for "changed" (as git diff --quiet does), 0 for "nothing to do" (`message` is said, but not
# under -q, and the step succeeds); any other status fails the step with that status. A `run`
# that fails fails the step with its status, after the words of the first EXPLANATIONS (~TEXT
# MESSAGE) whose text its error output holds (kept until it ends, then shown), else UNREADABLE
# when it is not empty.
polyarchiv_exec_if_changed() {
  local message=$1 unreadable=$2
  shift 2
  local -a explanations=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a probe=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a run=("$@")
  local rc=0
  "${probe[@]}" || rc=$?
  case ${rc} in
    0) polyarchiv_progress "  ${message}" ;;
    1)
      rc=0
      if ((${#explanations[@]} == 0)); then
        "${run[@]}" || rc=$?
        if ((rc != 0)); then
          polyarchiv_say_why "${unreadable}"
        fi
      else
        "${run[@]}" 2> "${polyarchiv_unit_file}.run-errors" || rc=$?
        polyarchiv_kept_errors_said "${rc}" "${polyarchiv_unit_file}.run-errors" "${unreadable}" "${explanations[@]}"
      fi
      return "${rc}"
      ;;
    *) return "${rc}" ;;
  esac
}
