
# Creates a restic repository only when restic says that it does not exist. The probe (restic cat
# config) succeeds: MESSAGE is said. It exits with restic's status for a missing repository, or
# asks whether a repository is there after a config file that was not found: INIT runs. Any other
# failure (unreachable server, wrong password, lock) is restic's, passed on with its message, then
# the words of the first EXPLANATIONS (~TEXT MESSAGE) whose text it holds: which option is wrong.
polyarchiv_restic_init() {
  local message=$1
  shift 1
  local -a explanations=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a probe=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a init=("$@")
  local rc=0 said cause absent=no
  said=$("${probe[@]}" 2>&1 >/dev/null) || rc=$?
  if (( rc == 0 )); then
    polyarchiv_progress "  ${message}"
    return 0
  fi
  if (( rc == 10 )); then
    absent=yes
  elif [[ ${said} == *'Is there a repository at the following location?'* ]]; then
    for cause in 'no such file or directory' 'does not exist'; do
      if [[ ${said} == *"${cause}"* ]]; then
        absent=yes
      fi
    done
  fi
  if [[ ${absent} == no ]]; then
    printf '%s\n' "${said}" >&2 || true
    polyarchiv_explain_printed "${said}" "${explanations[@]}"
    return "${rc}"
  fi
  "${init[@]}"
}
