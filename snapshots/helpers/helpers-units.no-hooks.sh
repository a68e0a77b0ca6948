
# A process's state, parent and process group, from its /proc/PID/stat file ($1), into
# polyarchiv_fields; fails when the process is gone. They follow its command name, which may hold
# spaces and parentheses: the last ") " ends it.
polyarchiv_process() {
  local line
  { read -r line < "$1"; } 2> /dev/null || return 1
  read -r -a polyarchiv_fields <<< "${line##*) }"
}

# Stops the running units, each a process group with its tools; they record their failure.
polyarchiv_interrupt() {
  polyarchiv_signal=$1
  polyarchiv_kill_groups "$1" "${polyarchiv_pids[@]}" ${polyarchiv_hook_pid:+"${polyarchiv_hook_pid}"}
}

# Sends signal $1 to the process groups that follow, and to every group that one of their
# processes leads of its own: coreutils' timeout, which runs every hook, makes one, and so may any
# tool, which the signal would otherwise not reach (apply starts each tool as a group's leader).
# Their processes are found first: a parent that the signal ends is no longer there to say whose
# its child was.
polyarchiv_kill_groups() {
  local signal=$1 stat pid line
  local -A killed=() group_of=()
  local -a leaders=()
  shift
  for pid in "$@"; do
    killed[${pid}]=1
  done
  for stat in /proc/[0-9]*/stat; do
    # shellcheck disable=SC2310 # a process that is gone is passed over: set -e has nothing to stop
    polyarchiv_process "${stat}" || continue
    pid=${stat#/proc/}
    pid=${pid%/stat}
    group_of[${pid}]=${polyarchiv_fields[2]}
    if [[ ${polyarchiv_fields[2]} == "${pid}" && -z ${killed[${pid}]:-} ]]; then
      leaders+=("${pid}:${polyarchiv_fields[1]}")
    fi
  done
  for pid in "$@"; do
    kill -s "${signal}" -- "-${pid}" 2> /dev/null || true
  done
  for line in "${leaders[@]}"; do
    pid=${line%%:*}
    if [[ -n ${killed[${group_of[${line#*:}]:-none}]:-} ]]; then
      kill -s "${signal}" -- "-${pid}" 2> /dev/null || true
    fi
  done
}

# A unit's outcome, read by polyarchiv_collect: only the lock and the stale guard make a unit busy
# or stale, whatever status its tools exit with.
polyarchiv_end() {
  if [[ -n ${polyarchiv_work} ]]; then
    printf '%s' "$1" > "${polyarchiv_unit_file}.outcome"
  fi
  exit 0
}

# A fault outside the steps fails its unit only: one line naming the unit and the cause, and the
# failure recorded when the state file can be written.
polyarchiv_fault() {
  polyarchiv_say "  ${polyarchiv_units[$1]}: $2"
  local recorded=0
  if [[ -n ${polyarchiv_states[$1]} ]]; then
    polyarchiv_record "${polyarchiv_states[$1]}" "${polyarchiv_failures[$1]}" "$2" '' "${polyarchiv_keep_asides[$1]}" '' ''
    recorded=$?
  fi
  if ((recorded != 0)); then
    polyarchiv_say "  ${polyarchiv_units[$1]}: ${polyarchiv_cause}"
  fi
  polyarchiv_end failed
}

# A signal ends a unit's steps at once, while its tools, which it reached too, may take a moment
# to stop (rsync about half a second): they still hold the lock's fd 9 and may still write. The
# unit, leader of their process group, waits for every other process of the group to end before
# it records and unlocks, as apply waits for its tools. A zombie holds nothing. A unit that asks
# on the terminal shares the script's group and cannot tell its tools from the script's own
# processes: it does not wait.
polyarchiv_wait_tools() {
  local stat
  # shellcheck disable=SC2310 # a process that is gone is passed over: set -e has nothing to stop
  polyarchiv_process "/proc/${BASHPID}/stat" || return 0
  if [[ ${polyarchiv_fields[2]} != "${BASHPID}" ]]; then
    return 0
  fi
  while :; do
    for stat in /proc/[0-9]*/stat; do
      if [[ ${stat} == "/proc/${BASHPID}/stat" ]]; then
        continue
      fi
      # shellcheck disable=SC2310 # the same
      polyarchiv_process "${stat}" || continue
      if [[ ${polyarchiv_fields[2]} == "${BASHPID}" && ${polyarchiv_fields[0]} != Z ]]; then
        sleep 0.05
        continue 2
      fi
    done
    return 0
  done
}

# Runs unit $1 in the background, in a process group of its own: lock, stale guard, steps in a
# subshell (set -e is ignored in functions called from if, && or ||, so their status is read after
# the fact), state record.
polyarchiv_run_unit() {
  local i=$1 rc=0 recorded message=ok copies
  local unit=${polyarchiv_units[i]} state=${polyarchiv_states[i]}
  set +e
  trap 'polyarchiv_signal=INT' INT
  trap 'polyarchiv_signal=TERM' TERM
  # A subshell resets the traps it was given: the unit's own.
  trap ':' PIPE
  printf -v polyarchiv_unit_started '%(%s)T' -1
  polyarchiv_unit_file=${polyarchiv_work}/${polyarchiv_fns[i]}
  polyarchiv_unit_lock=${polyarchiv_locks[i]}
  polyarchiv_unit_name=${unit}
  polyarchiv_progress "${unit}"
  if [[ -z ${polyarchiv_work} ]]; then
    polyarchiv_fault "${i}" "cannot create a private work directory in ${polyarchiv_work_parent}: ${polyarchiv_work_error}"
  fi
  polyarchiv_lock "${polyarchiv_locks[i]}"
  case $? in
    0) trap 'polyarchiv_unlock "${polyarchiv_unit_lock}"' EXIT ;;
    1) polyarchiv_end busy ;;
    *) polyarchiv_fault "${i}" "${polyarchiv_cause}" ;;
  esac
  if [[ -n ${state} ]]; then
    polyarchiv_guard "${state}" "${polyarchiv_sums[i]}"
    case $? in
      0) ;;
      1) polyarchiv_end stale ;;
      *) polyarchiv_fault "${i}" "${polyarchiv_cause}" ;;
    esac
  fi
  (
    polyarchiv_exit_on_signal
    set -e
    # Under -q the tools' standard output (restic's report of a snapshot) is kept, and shown only
    # if the unit fails: a quiet run that succeeds prints nothing, so cron mails only problems.
    if [[ ${polyarchiv_quiet} == true ]]; then
      exec > "${polyarchiv_unit_file}.quiet"
    fi
    "${polyarchiv_fns[i]}"
  )
  rc=$?
  if [[ -n ${polyarchiv_signal} ]]; then
    polyarchiv_wait_tools
  fi
  if ((rc != 0)); then
    message="failed with exit code ${rc}"
    if [[ -n ${polyarchiv_signal} ]]; then
      message="interrupted by SIG${polyarchiv_signal}"
      if [[ -e ${polyarchiv_unit_file}.step ]]; then
        message+=": $(<"${polyarchiv_unit_file}.step")"
      fi
      polyarchiv_say "  ${message}"
    elif [[ -e ${polyarchiv_unit_file}.failure ]]; then
      message=$(<"${polyarchiv_unit_file}.failure")
    fi
    if [[ -s ${polyarchiv_unit_file}.quiet ]]; then
      cat -- "${polyarchiv_unit_file}.quiet" || true
    fi
  fi
  if [[ -n ${state} ]]; then
    if ((rc == 0)); then
      copies=''
      if [[ -e ${polyarchiv_unit_file}.copies ]]; then
        copies=$(<"${polyarchiv_unit_file}.copies")
      fi
      polyarchiv_record "${state}" "${polyarchiv_successes[i]}" ok "${polyarchiv_measures[i]}" \
        "${polyarchiv_keep_asides[i]}" "${copies}" "${polyarchiv_unit_file}.measured"
    else
      polyarchiv_record "${state}" "${polyarchiv_failures[i]}" "${message}" '' "${polyarchiv_keep_asides[i]}" '' ''
    fi
    recorded=$?
    if ((recorded != 0)); then
      polyarchiv_say "  ${unit}: ${polyarchiv_cause}"
      rc=1
    fi
  fi
  if ((rc == 0)); then
    polyarchiv_end ok
  fi
  polyarchiv_end failed
}
