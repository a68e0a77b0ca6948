
# Hooks by index, in configuration order: owner (a unit's index, or `run`), prefix of the files
# that hold the runtime variables, function, how messages name the hook, events (`,a,b,`).
declare -a polyarchiv_hook_owners=() polyarchiv_hook_prefixes=() polyarchiv_hook_fns=()
declare -a polyarchiv_hook_labels=() polyarchiv_hook_events=()
declare -A polyarchiv_captures=()
# The events of this run: before, success, error, after.
polyarchiv_events=(before_restore restore_success restore_error after_restore)
polyarchiv_capture_all=0
polyarchiv_hook_failed=0
polyarchiv_unit_index=''

# Registers a hook: its owner's unit id ('' for the whole run), files' prefix, function, label,
# then its events. A unit with hooks keeps its output for them (all units do, for the run's hooks).
polyarchiv_hook() {
  local k=${#polyarchiv_hook_fns[@]} owner=run
  if [[ -n $1 ]]; then
    owner=${polyarchiv_index[$1]}
    polyarchiv_captures[${owner}]=1
  else
    polyarchiv_capture_all=1
  fi
  polyarchiv_hook_owners[k]=${owner} polyarchiv_hook_prefixes[k]=$2 polyarchiv_hook_fns[k]=$3
  polyarchiv_hook_labels[k]=$4
  shift 4
  polyarchiv_hook_events[k]=",$(IFS=,; printf '%s' "$*"),"
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
  local -
  set +e
  if [[ -z ${polyarchiv_work} ]]; then
    return 0
  fi
  for k in "${!polyarchiv_hook_fns[@]}"; do
    if [[ ${polyarchiv_hook_owners[k]} != "${owner}" || ${polyarchiv_hook_events[k]} != *",${event},"* ]]; then
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
    (
      set -e
      "${polyarchiv_hook_fns[k]}"
    )
    rc=$?
    if ((rc != 0)); then
      polyarchiv_say "  ${polyarchiv_hook_labels[k]} failed on ${event} with exit code ${rc}"
      polyarchiv_hook_failed=1
    fi
  done
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
