
# Registers a unit: name, steps function, lock, state file, its sha256 when planned, state on
# success, state on failure, directory to measure, keep-aside when the state file is corrupt,
# then the units it requires.
polyarchiv_unit() {
  local i=${#polyarchiv_units[@]} required
  polyarchiv_index[$1]=${i}
  polyarchiv_units[i]=$1 polyarchiv_fns[i]=$2 polyarchiv_locks[i]=$3 polyarchiv_states[i]=$4
  polyarchiv_sums[i]=$5 polyarchiv_successes[i]=$6 polyarchiv_failures[i]=$7 polyarchiv_measures[i]=$8
  polyarchiv_keep_asides[i]=$9
  polyarchiv_before[i]=${polyarchiv_last_on_lock[$3]:-}
  polyarchiv_last_on_lock[$3]=${i}
  polyarchiv_requires[i]=''
  shift 9
  for required in "$@"; do
    polyarchiv_requires[i]+=" ${polyarchiv_index[${required}]}"
  done
}

polyarchiv_parse_args() {
  while (($# > 0)); do
    case $1 in
      --jobs=*) polyarchiv_jobs=${1#--jobs=} ;;
      -q | --quiet) polyarchiv_quiet=true ;;
      -y | --yes) polyarchiv_yes=1 ;;
      # Started by polyarchiv_log_from_args, before anything was printed.
      --log-file=*) ;;
      --log-file) shift ;;
      --jobs)
        if (($# < 2)); then
          polyarchiv_say "--jobs expects a whole number from 1 to 9999"
          exit 2
        fi
        polyarchiv_jobs=$2
        shift
        ;;
      *)
        polyarchiv_say "unknown argument: $1 (this script accepts ${polyarchiv_arguments})"
        exit 2
        ;;
    esac
    shift
  done
  if [[ -z ${polyarchiv_jobs} ]]; then
    polyarchiv_jobs=$(nproc)
  fi
  if [[ ! ${polyarchiv_jobs} =~ ^[1-9][0-9]{0,3}$ ]]; then
    polyarchiv_say "--jobs expects a whole number from 1 to 9999, not '${polyarchiv_jobs}'"
    exit 2
  fi
  if [[ ${POLYARCHIV_YES:-} == 1 ]]; then
    polyarchiv_yes=1
  fi
  if ((polyarchiv_replaces_live_data == 1 && polyarchiv_yes == 0)); then
    if [[ ! -t 0 ]]; then
      polyarchiv_say "this restore deletes or overwrites live data and there is no terminal to confirm it on: nothing was changed; run it again with --yes (or POLYARCHIV_YES=1)"
      exit 2
    fi
    # Questions on the terminal come one at a time.
    polyarchiv_asks=1
    polyarchiv_jobs=1
  fi
}

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
    polyarchiv_unit_hooks_after "$1"
  fi
  exit 0
}

# A fault outside the steps fails its unit only: one line naming the unit and the cause, and the
# failure recorded when the state file can be written.
polyarchiv_fault() {
  polyarchiv_say "  ${polyarchiv_units[$1]}: $2"
  local recorded=0
  if [[ -n ${polyarchiv_states[$1]} ]]; then
    polyarchiv_record "${polyarchiv_states[$1]}" "${polyarchiv_failures[$1]}" "$2" '' "${polyarchiv_keep_asides[$1]}"
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
    polyarchiv_fault "${i}" "cannot create a private work directory in ${TMPDIR:-/tmp}: ${polyarchiv_work_error}"
  fi
  polyarchiv_unit_hooks_before "${i}"
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
  fi
  if [[ -n ${state} ]]; then
    if ((rc == 0)); then
      copies=''
      if [[ -e ${polyarchiv_unit_file}.copies ]]; then
        copies=$(<"${polyarchiv_unit_file}.copies")
      fi
      polyarchiv_record "${state}" "${polyarchiv_successes[i]}" ok "${polyarchiv_measures[i]}" "${polyarchiv_keep_asides[i]}" "${copies}"
    else
      polyarchiv_record "${state}" "${polyarchiv_failures[i]}" "${message}" '' "${polyarchiv_keep_asides[i]}"
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

# Starts every unit that may start, in plan order: the units before it on the same lock and the
# units it requires have finished, and fewer than --jobs units run. A unit of a lock is ready only
# once the one before it on that lock has finished, which was itself ready only once the one before
# it had: that one alone is looked at, so thousands of units start in a time that grows with their
# number, not with its square.
polyarchiv_start_ready() {
  local i j count=${#polyarchiv_units[@]}
  local -a required
  while ((polyarchiv_unstarted < count)) && [[ -n ${polyarchiv_status[polyarchiv_unstarted]:-} ]]; do
    polyarchiv_unstarted=$((polyarchiv_unstarted + 1))
  done
  for ((i = polyarchiv_unstarted; i < count; i++)); do
    if [[ -n ${polyarchiv_status[i]:-} ]]; then
      continue
    fi
    j=${polyarchiv_before[i]}
    if [[ -n ${j} && ${polyarchiv_status[j]:-running} == running ]]; then
      continue
    fi
    read -r -a required <<< "${polyarchiv_requires[i]}"
    for j in "${required[@]}"; do
      if [[ ${polyarchiv_status[j]:-running} == running ]]; then
        continue 2
      fi
    done
    if [[ -n ${polyarchiv_signal} ]]; then
      polyarchiv_status[i]=skipped
      polyarchiv_say "${polyarchiv_units[i]}: not run, interrupted by SIG${polyarchiv_signal}"
      continue
    fi
    for j in "${required[@]}"; do
      if [[ ${polyarchiv_status[j]} != ok ]]; then
        polyarchiv_status[i]=skipped
        polyarchiv_say "${polyarchiv_units[i]}: skipped, ${polyarchiv_units[j]} did not succeed"
        continue 2
      fi
    done
    if ((${#polyarchiv_pids[@]} >= polyarchiv_jobs)); then
      return 0
    fi
    polyarchiv_start "${i}"
  done
}

# With more than one job, a unit's output is kept until it ends, so that units never interleave.
polyarchiv_start() {
  local out=${polyarchiv_work}/${polyarchiv_fns[$1]}
  polyarchiv_status[$1]=running
  if ((polyarchiv_asks == 1)); then
    # A unit that asks runs in the foreground, where it reads the terminal.
    # shellcheck disable=SC2310 # a test: set -e has nothing to stop inside
    if polyarchiv_captured "$1"; then
      (polyarchiv_run_unit "$1") 2>&1 | tee -p -- "${out}.log" >&2
    else
      (polyarchiv_run_unit "$1")
    fi
    polyarchiv_outcome "$1"
    return 0
  fi
  set -m
  # Hooks receive the unit's output: both streams in one file, shown when the unit ends.
  # shellcheck disable=SC2310 # a test: set -e has nothing to stop inside
  if polyarchiv_captured "$1"; then
    polyarchiv_run_unit "$1" < /dev/null > "${out}.log" 2>&1 &
  elif ((polyarchiv_jobs > 1)) && [[ -n ${polyarchiv_work} ]]; then
    polyarchiv_run_unit "$1" < /dev/null > "${out}.stdout" 2> "${out}.stderr" &
  else
    polyarchiv_run_unit "$1" < /dev/null &
  fi
  polyarchiv_pids[$1]=$!
  set +m
}

polyarchiv_collect() {
  local i
  for i in "${!polyarchiv_pids[@]}"; do
    if kill -0 "${polyarchiv_pids[i]}" 2> /dev/null; then
      continue
    fi
    unset 'polyarchiv_pids[i]'
    polyarchiv_outcome "${i}"
  done
}

# The status unit $1 ended with, and its kept output.
polyarchiv_outcome() {
  local out=${polyarchiv_work}/${polyarchiv_fns[$1]}
  polyarchiv_status[$1]=failed
  if [[ -n ${polyarchiv_work} ]]; then
    if [[ -s ${out}.outcome ]]; then
      polyarchiv_status[$1]=$(<"${out}.outcome")
    fi
    # shellcheck disable=SC2310 # a test: set -e has nothing to stop inside
    if polyarchiv_captured "$1"; then
      if ((polyarchiv_asks == 0)); then
        cat -- "${out}.log" >&2 || true
      fi
      if ((polyarchiv_capture_all == 1)); then
        cat -- "${out}.log" >> "${polyarchiv_work}/hooks.run.log"
      fi
      if [[ -e ${out}.hook-failed ]]; then
        polyarchiv_hook_failed=1
      fi
    elif ((polyarchiv_jobs > 1)); then
      # Most units say nothing under -q: no process for an empty file.
      if [[ -s ${out}.stdout ]]; then
        cat -- "${out}.stdout" || true
      fi
      if [[ -s ${out}.stderr ]]; then
        cat -- "${out}.stderr" >&2 || true
      fi
    fi
  fi
}

polyarchiv_main() {
  local failed_skips=$1
  shift
  polyarchiv_parse_args "$@"
  polyarchiv_fire run "${polyarchiv_events[0]}" -- '' ''
  polyarchiv_start_ready
  while ((${#polyarchiv_pids[@]} > 0)); do
    wait -n || true
    polyarchiv_collect
    polyarchiv_start_ready
  done
  polyarchiv_finish "${failed_skips}"
}

polyarchiv_finish() {
  local i status code=0
  polyarchiv_progress "summary:"
  for i in "${!polyarchiv_units[@]}"; do
    status=${polyarchiv_status[i]}
    polyarchiv_progress "  $(printf '%-8s' "${status}") ${polyarchiv_units[i]}"
    case ${status} in
      busy) code=75 ;;
      failed | stale) if ((code == 0)); then code=1; fi ;;
      *) ;;
    esac
  done
  if (($1 != 0 && code == 0)); then
    code=1
  fi
  polyarchiv_run_hooks_after
  if ((polyarchiv_hook_failed == 1 && code == 0)); then
    code=1
  fi
  case ${polyarchiv_signal} in
    INT) code=130 ;;
    TERM) code=143 ;;
    *) ;;
  esac
  exit "${code}"
}
