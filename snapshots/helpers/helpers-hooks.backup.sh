
# Hooks by index, in configuration order: prefix of the files that hold the runtime variables,
# function, how messages name the hook, events (`,a,b,`).
declare -a polyarchiv_hook_prefixes=() polyarchiv_hook_fns=() polyarchiv_hook_labels=() polyarchiv_hook_events=()
declare -A polyarchiv_captures=()
# For each owner (a unit's index, or `run`), the indexes of its hooks (` k1 k2`): a unit's hooks are
# found without a look at every other unit's.
declare -A polyarchiv_hooks_of=()
# The events of this run: before, success, error, after.
polyarchiv_events=(before_backup backup_success backup_error after_backup)
polyarchiv_capture_all=0
polyarchiv_hook_failed=0
polyarchiv_unit_index=''
# The hook of the run that runs now, if any: its process group is stopped with the units'.
polyarchiv_hook_pid=''

# Registers a hook: its owner's unit id ('' for the whole run), files' prefix, function, label,
# then its events. A unit with hooks keeps its output for them (all units do, for the run's hooks).
polyarchiv_hook() {
  local owner=$1 prefix=$2 fn=$3 label=$4
  shift 4
  local -a events=("$@")
  local k=${#polyarchiv_hook_fns[@]} index=run
  if [[ -n ${owner} ]]; then
    index=${polyarchiv_index[${owner}]}
    polyarchiv_captures[${index}]=1
  else
    polyarchiv_capture_all=1
  fi
  polyarchiv_hook_prefixes[k]=${prefix} polyarchiv_hook_fns[k]=${fn} polyarchiv_hook_labels[k]=${label}
  polyarchiv_hooks_of[${index}]+=" ${k}"
  local IFS=,
  polyarchiv_hook_events[k]=",${events[*]},"
}

# Whether unit $1 keeps its output in its .log file (for hooks).
polyarchiv_captured() {
  [[ -n ${polyarchiv_work} && (${polyarchiv_capture_all} == 1 || -n ${polyarchiv_captures[$1]:-}) ]]
}

# Calls, one after the other, OWNER's hooks that list EVENT, with the runtime variables in their
# files: the event, STATUS, DETAILED_STATUS, the output so far (read from LOG), the date. A hook
# that fails is reported and sets polyarchiv_hook_failed; the other hooks still run.
polyarchiv_fire() {
  local owner=$1 event=$2 status=$3 detailed=$4 log=$5 k rc prefix written=0
  local -a hooks
  local -
  set +e
  if [[ -z ${polyarchiv_work} ]]; then
    return 0
  fi
  read -r -a hooks <<< "${polyarchiv_hooks_of[${owner}]:-}"
  for k in "${hooks[@]}"; do
    if [[ ${polyarchiv_hook_events[k]} != *",${event},"* ]]; then
      continue
    fi
    prefix=${polyarchiv_work}/${polyarchiv_hook_prefixes[k]}
    if ((written == 0)); then
      written=1
      printf '%s' "${event}" > "${prefix}.event"
      printf '%s' "${status}" > "${prefix}.status"
      printf '%s' "${detailed}" > "${prefix}.detailed_status"
      if [[ -n ${log} && -e ${log} ]]; then
        cat -- "${log}" > "${prefix}.complete_log"
      else
        : > "${prefix}.complete_log"
      fi
      date -R > "${prefix}.date"
    fi
    polyarchiv_progress "  ${event}: ${polyarchiv_hook_labels[k]}"
    # Under -q a hook's standard output is kept, and shown only if the hook fails, as a unit's.
    if [[ ${polyarchiv_quiet} == true ]]; then
      polyarchiv_call_hook "${owner}" "${k}" > "${prefix}.quiet"
    else
      polyarchiv_call_hook "${owner}" "${k}"
    fi
    rc=$?
    if ((rc != 0)); then
      polyarchiv_say "  ${polyarchiv_hook_labels[k]} failed on ${event} with exit code ${rc}"
      polyarchiv_hook_failed=1
      if [[ -s ${prefix}.quiet ]]; then
        cat -- "${prefix}.quiet" || true
      fi
    fi
    if [[ -e ${prefix}.quiet ]]; then
      rm -f -- "${prefix}.quiet"
    fi
  done
}

# Runs hook $2 of OWNER $1: the run's in a process group of its own, a unit's in the unit's, which
# a signal reaches.
polyarchiv_call_hook() {
  if [[ $1 == run ]]; then
    polyarchiv_run_hook "$2"
  else
    (
      polyarchiv_exit_on_signal
      set -e
      "${polyarchiv_hook_fns[$2]}"
    )
  fi
}

# A hook of the run, outside every unit: in a process group of its own, as a unit, so that a
# signal stops it (polyarchiv_interrupt) instead of waiting for its end. A signal ends the wait
# at once and runs the trap; the hook's own status is then waited for.
polyarchiv_run_hook() {
  local rc
  set -m
  (
    polyarchiv_exit_on_signal
    set -e
    "${polyarchiv_hook_fns[$1]}"
  ) < /dev/null &
  polyarchiv_hook_pid=$!
  set +m
  wait "${polyarchiv_hook_pid}"
  rc=$?
  # 127 (not a child) ends the loop too, whatever process the number may name by then.
  while ((rc > 128)) && kill -0 "${polyarchiv_hook_pid}" 2> /dev/null; do
    wait "${polyarchiv_hook_pid}"
    rc=$?
  done
  polyarchiv_hook_pid=''
  return "${rc}"
}

# Unit $1's hooks before it runs (status --).
polyarchiv_unit_hooks_before() {
  polyarchiv_unit_index=$1
  polyarchiv_hook_failed=0
  polyarchiv_fire "$1" "${polyarchiv_events[0]}" -- '' ''
}

# The unit's success or error hooks, then its after hooks, once its state is recorded and its
# lock released (a slow hook holds no collect point).
polyarchiv_unit_hooks_after() {
  local i=${polyarchiv_unit_index} word=KO event=${polyarchiv_events[2]} exit_trap
  if [[ -z ${i} ]]; then
    return 0
  fi
  if [[ $1 == ok ]]; then
    word=OK event=${polyarchiv_events[1]}
  fi
  exit_trap=$(trap -p EXIT)
  if [[ ${exit_trap} == *polyarchiv_unlock* ]]; then
    polyarchiv_unlock "${polyarchiv_unit_lock}"
    exec 9>&-
    trap - EXIT
  fi
  polyarchiv_fire "${i}" "${event}" "${word}" "${word}: ${polyarchiv_units[i]}" "${polyarchiv_unit_file}.log"
  polyarchiv_fire "${i}" "${polyarchiv_events[3]}" "${word}" "${word}: ${polyarchiv_units[i]}" "${polyarchiv_unit_file}.log"
  if ((polyarchiv_hook_failed == 1)); then
    : > "${polyarchiv_unit_file}.hook-failed"
  fi
}

# The run's success or error hooks, then its after hooks: status -- when no unit ran, OK when
# every unit succeeded, else KO; the units' output as the log.
polyarchiv_run_hooks_after() {
  local i ok=1 status='--' detailed='' word event
  for i in "${!polyarchiv_units[@]}"; do
    word=OK
    if [[ ${polyarchiv_status[i]} != ok ]]; then
      word=KO ok=0
    fi
    detailed+=${detailed:+$'\n'}"${word}: ${polyarchiv_units[i]}"
  done
  if ((${#polyarchiv_units[@]} > 0)); then
    status=OK
    if ((ok == 0)); then
      status=KO
    fi
  fi
  event=${polyarchiv_events[1]}
  if ((ok == 0)); then
    event=${polyarchiv_events[2]}
  fi
  polyarchiv_fire run "${event}" "${status}" "${detailed}" "${polyarchiv_work}/hooks.run.log"
  polyarchiv_fire run "${polyarchiv_events[3]}" "${status}" "${detailed}" "${polyarchiv_work}/hooks.run.log"
}
