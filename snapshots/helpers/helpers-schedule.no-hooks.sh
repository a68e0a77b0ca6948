
# Registers a unit: name, steps function, lock, state file, its sha256 when planned, state on
# success, state on failure, directory to measure, keep-aside when the state file is corrupt,
# then the units it requires.
# Its arguments are read where they are, not copied into locals first: a script registers
# thousands of units, with a few hundred bytes of state templates each.
polyarchiv_unit() {
  local i=${#polyarchiv_units[@]} required
  polyarchiv_index[$1]=${i}
  polyarchiv_units[i]=$1 polyarchiv_fns[i]=$2
  polyarchiv_locks[i]=$3 polyarchiv_states[i]=$4
  polyarchiv_sums[i]=$5
  polyarchiv_successes[i]=$6 polyarchiv_failures[i]=$7
  polyarchiv_measures[i]=$8 polyarchiv_keep_asides[i]=$9
  polyarchiv_before[i]=${polyarchiv_last_on_lock[$3]:-}
  polyarchiv_last_on_lock[$3]=${i}
  polyarchiv_requires[i]=''
  for required in "${@:10}"; do
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
      polyarchiv_say "this restore may delete or overwrite live data and there is no terminal to confirm it on: nothing was changed; run it again with --yes (or POLYARCHIV_YES=1)"
      exit 2
    fi
    # Questions on the terminal come one at a time.
    polyarchiv_asks=1
    polyarchiv_jobs=1
  fi
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
  local out=${polyarchiv_work}/${polyarchiv_fns[$1]} now=${EPOCHREALTIME:-${SECONDS}.000000}
  polyarchiv_status[$1]=running
  polyarchiv_started_us[$1]=${now/[.,]/}
  if ((polyarchiv_asks == 1)); then
    # A unit that asks runs in the foreground, where it reads the terminal.
    (polyarchiv_run_unit "$1")
    polyarchiv_outcome "$1"
    return 0
  fi
  set -m
  if ((polyarchiv_jobs > 1)) && [[ -n ${polyarchiv_work} ]]; then
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
  # EPOCHREALTIME is bash 5's; bash 4.4 counts whole seconds.
  local out=${polyarchiv_work}/${polyarchiv_fns[$1]} now=${EPOCHREALTIME:-${SECONDS}.000000}
  polyarchiv_took_us[$1]=$((${now/[.,]/} - polyarchiv_started_us[$1]))
  polyarchiv_status[$1]=failed
  if [[ -n ${polyarchiv_work} ]]; then
    if [[ -s ${out}.outcome ]]; then
      polyarchiv_status[$1]=$(<"${out}.outcome")
    fi
    if ((polyarchiv_jobs > 1)); then
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

# COUNT, then the COUNT lines apply says of the points it did not run, then the script's arguments.
polyarchiv_main() {
  local -a not_run=("${@:2:$1}")
  shift "$(($1 + 1))"
  polyarchiv_parse_args "$@"
  polyarchiv_start_ready
  while ((${#polyarchiv_pids[@]} > 0)); do
    wait -n || true
    polyarchiv_collect
    polyarchiv_start_ready
  done
  polyarchiv_finish "${not_run[@]}"
}

# The summary, then what apply says of each point not run (the arguments): a failure
# (`cannot run: `) always, the others but under -q; the exit status.
polyarchiv_finish() {
  local i status line tenths cannot=0 code=0 busy=0
  polyarchiv_progress "summary:"
  for i in "${!polyarchiv_units[@]}"; do
    status=${polyarchiv_status[i]}
    tenths=$(((${polyarchiv_took_us[i]:-0} + 50000) / 100000))
    printf -v line '  %-8s %s (%d.%d s)' "${status}" "${polyarchiv_units[i]}" $((tenths / 10)) $((tenths % 10))
    polyarchiv_progress "${line}"
    case ${status} in
      busy) busy=1 ;;
      failed | stale) code=1 ;;
      *) ;;
    esac
  done
  for line in "$@"; do
    case ${line} in
      'cannot run: '*)
        polyarchiv_say "${line}"
        cannot=1
        ;;
      *) polyarchiv_progress "${line}" ;;
    esac
  done
  if ((cannot == 1 && code == 0)); then
    code=1
  fi
  # Busy (75) only when nothing failed: a failure is what cron and monitoring must hear of.
  if ((busy == 1 && code == 0)); then
    code=75
  fi
  case ${polyarchiv_signal} in
    INT) code=130 ;;
    TERM) code=143 ;;
    *) ;;
  esac
  exit "${code}"
}
