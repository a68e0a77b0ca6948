# Without a private work directory every unit fails, each with its own state record.
polyarchiv_work_error=''
if ! polyarchiv_work=$(mktemp -d 2>&1); then
  polyarchiv_work_error=${polyarchiv_work##*: }
  polyarchiv_work=''
fi
# Successes are dated when the run started: their data is from then.
polyarchiv_started=$(date +%Y-%m-%dT%H:%M:%S)
trap 'polyarchiv_cleanup' EXIT
trap 'polyarchiv_on_error "$?"' ERR
trap 'polyarchiv_interrupt INT' INT
trap 'polyarchiv_interrupt TERM' TERM
# A reader that goes away (| head, a closed terminal) must not stop a run half-way: the script's
# own lines are then lost (every write of them tolerates it), its tools still stop on SIGPIPE as
# they would anywhere (a trapped signal is reset in them, an ignored one would not be).
trap ':' PIPE
# Units by index, in plan order: what polyarchiv_unit registers, then what each became.
declare -a polyarchiv_units=() polyarchiv_fns=() polyarchiv_locks=() polyarchiv_states=()
declare -a polyarchiv_sums=() polyarchiv_successes=() polyarchiv_failures=() polyarchiv_measures=()
declare -a polyarchiv_keep_asides=() polyarchiv_requires=() polyarchiv_status=() polyarchiv_pids=()
declare -A polyarchiv_index=()
polyarchiv_jobs=''
polyarchiv_quiet=false
polyarchiv_unit_name=''
# A restore that replaces live data goes on with --yes (or POLYARCHIV_YES=1), or asks on the terminal.
polyarchiv_replaces_live_data=0
polyarchiv_yes=0
polyarchiv_asks=0
polyarchiv_arguments='--jobs N, -q and --log-file FILE'
polyarchiv_signal=''
polyarchiv_unit_file=''
polyarchiv_unit_lock=''
# When the running unit started (Unix seconds): its record's last_duration counts from here.
polyarchiv_unit_started=0
polyarchiv_current_step=''
polyarchiv_cause=''

polyarchiv_cleanup() {
  if [[ -n ${polyarchiv_work} ]]; then
    rm -rf -- "${polyarchiv_work}"
  fi
  # Last, so that the log file receives everything before it.
  if [[ -n ${polyarchiv_log_fd:-} ]]; then
    polyarchiv_log_close
  fi
}

# Problems (failures, refusals, warnings) are always printed: indented under the unit's name, or
# under -q, which prints no unit names, prefixed with it.
polyarchiv_say() {
  local line=$*
  if [[ ${polyarchiv_quiet} == true && -n ${polyarchiv_unit_name} ]]; then
    line=${line#"${line%%[! ]*}"}
    if [[ ${line} != "${polyarchiv_unit_name}: "* ]]; then
      line="${polyarchiv_unit_name}: ${line}"
    fi
  fi
  printf 'polyarchiv: %s\n' "${line}" >&2 || true
}

# Progress (units, steps, summary): nothing under -q.
polyarchiv_progress() {
  if [[ ${polyarchiv_quiet} != true ]]; then
    printf 'polyarchiv: %s\n' "$*" >&2 || true
  fi
}

# Announces a step; the ERR trap names it if it fails.
polyarchiv_step() {
  polyarchiv_current_step="step $1 of $2 at $4"
  printf '%s' "${polyarchiv_current_step}" > "${polyarchiv_unit_file}.step"
  polyarchiv_progress "  $1/$2 $3"
}

polyarchiv_on_error() {
  if [[ -n ${polyarchiv_current_step} && ! -e ${polyarchiv_unit_file}.failure ]]; then
    printf 'failed with exit code %s: %s' "$1" "${polyarchiv_current_step}" > "${polyarchiv_unit_file}.failure"
    polyarchiv_say "  failed with exit code $1: ${polyarchiv_current_step}"
  fi
}

# mkdir -p as under umask 022: the directories it creates get mode 0755, like those the original
# tool created (a restored /srv/www stays reachable through a recreated /srv); files keep umask 077.
polyarchiv_make_dir() {
  local path=$1
  (umask 022 && mkdir -p -- "${path}")
}

# Creates FILE new and empty (O_EXCL through noclobber; mode 0600 under the run's umask), what a
# killed run left there removed first: a file opened for writing keeps the mode and owner it
# already had, which the rename that publishes it would carry over.
polyarchiv_create_file() {
  local path=$1
  rm -f -- "${path}" && (set -o noclobber && : >"${path}")
}

# The kernel drops an flock when its last holder dies: the tools inherit fd 9, so the lock lives
# as long as any of them, and no stale lock survives a killed run. The file is removed before the
# lock is released (polyarchiv_unlock), because the original PolyArchiv takes an existing lock
# file for a live lock; so a lock taken on a file that another run has just removed is taken
# again on the path's new file. Returns 1 when another run holds it, 2 (with polyarchiv_cause)
# when it cannot be taken.
polyarchiv_lock() {
  local lock_file=$1
  local rc
  # shellcheck disable=SC2310 # the status is read here, set -e need not apply inside
  if ! polyarchiv_cause=$({ set +x; } 2> /dev/null; polyarchiv_make_dir "${lock_file%/*}" 2>&1); then
    polyarchiv_cause="cannot create ${lock_file%/*}: ${polyarchiv_cause##*: }"
    return 2
  fi
  while :; do
    if ! { exec 9>>"${lock_file}"; } 2>"${polyarchiv_unit_file}.error"; then
      polyarchiv_cause=$(<"${polyarchiv_unit_file}.error")
      polyarchiv_cause="cannot open the lock file ${lock_file}: ${polyarchiv_cause##*: }"
      return 2
    fi
    rc=0
    polyarchiv_cause=$(flock --nonblock 9 2>&1) || rc=$?
    case ${rc} in
      0) ;;
      1)
        polyarchiv_say "  ${lock_file} is locked by another run"
        return 1
        ;;
      127)
        polyarchiv_cause="cannot lock ${lock_file}: flock: command not found"
        return 2
        ;;
      *)
        polyarchiv_cause="cannot lock ${lock_file}: ${polyarchiv_cause##*: }"
        return 2
        ;;
    esac
    if [[ ${lock_file} -ef /dev/fd/9 ]]; then
      return 0
    fi
  done
}

polyarchiv_unlock() {
  rm -f -- "$1"
}

# A script is a saved plan: it runs as it was reviewed, and warns when the configuration it was
# made from changed since (a file edited, added, removed or unreadable). Arguments: the
# directory, then each file's name and sha256.
polyarchiv_check_config() {
  local dir=$1 name sum actual count=0 changed=false entry
  shift
  if [[ -d ${dir} ]]; then
    for entry in "${dir}"/*.global "${dir}"/*.collect "${dir}"/*.backup; do
      if [[ -f ${entry} ]]; then
        count=$((count + 1))
      fi
    done
  else
    changed=true
  fi
  if ((count != $# / 2)); then
    changed=true
  fi
  while (($# > 0)); do
    name=$1 sum=$2
    shift 2
    actual=''
    if [[ -f ${dir}/${name} && -r ${dir}/${name} ]]; then
      # Under bash -x a trace line would join the digest: tracing stops inside the substitution.
      actual=$({ set +x; } 2> /dev/null; sha256sum < "${dir}/${name}")
      actual=${actual%% *}
    fi
    if [[ ${actual} != "${sum}" ]]; then
      changed=true
    fi
  done
  if [[ ${changed} == true ]]; then
    polyarchiv_say "warning: the configuration in ${dir} changed since the plan was made: running the plan as it was reviewed (make a new plan to run the new configuration)"
  fi
}

# Refuses to run on a state file that changed since the plan was made: returns 1 when it did,
# 2 (with polyarchiv_cause) when it cannot be read.
polyarchiv_guard() {
  local state_file=$1 expected=$2
  local actual=''
  if [[ -e ${state_file} ]]; then
    # Under bash -x a trace line would join the digest: tracing stops inside the substitution.
    if ! actual=$({ set +x; } 2> /dev/null; { sha256sum < "${state_file}"; } 2>&1); then
      polyarchiv_cause="cannot read the state file ${state_file}: ${actual##*: }"
      return 2
    fi
    actual=${actual%% *}
  fi
  if [[ ${actual} != "${expected}" ]]; then
    polyarchiv_say "  stale plan: ${state_file} changed since the plan was made; run polyarchiv plan again"
    return 1
  fi
}

# After a command that failed with STATUS: succeeds when STATUS is the one that also means the
# command did its work (a deletion whose directory is already gone); else returns STATUS, which
# the ERR trap reports as the command's.
polyarchiv_tolerate() {
  local status=$1 tolerated=$2
  if (( status == tolerated )); then
    return 0
  fi
  return "${status}"
}

# After a command that failed with STATUS, given pairs of a status and its meaning: says the
# meaning of STATUS, one the tool does not print itself (rclone's "nothing transferred"); returns
# STATUS all the same.
polyarchiv_explain() {
  local status=$1
  shift 1
  local -a explanations=("$@")
  local n
  for ((n = 0; n + 1 < ${#explanations[@]}; n += 2)); do
    if (( status == explanations[n] )); then
      polyarchiv_say "  ${explanations[n + 1]}"
    fi
  done
  return "${status}"
}

# The data reaches the disk before the rename that publishes it, and the rename before the run
# goes on: a crash leaves the old file or the new one, whole.
polyarchiv_publish() {
  local partial=$1 file=$2
  sync -- "${partial}" && mv -fT -- "${partial}" "${file}" && sync -- "${file%/*}"
}

# Fills a state template and publishes it. MEASURE: the directory whose size becomes total_size;
# COPIES: the figures the unit's copies kept, one JSON member a line.
polyarchiv_record() {
  local file=$1 state=$2 message=$3 measure=${4:-} keep_aside=${5:-} copies=${6:-} aside='' now size=0 ended
  now=$(date +%Y-%m-%dT%H:%M:%S)
  printf -v ended '%(%s)T' -1
  if [[ -n ${measure} && -e ${measure} ]]; then
    if size=$(du -s -b -- "${measure}"); then
      size=${size%%[[:space:]]*}
    else
      size=0
    fi
  fi
  state=${state//"@@POLYARCHIV_SIZE@@"/"${size}"}
  state=${state//"@@POLYARCHIV_DURATION@@"/"$((ended - polyarchiv_unit_started))"}
  state=${state//'"@@POLYARCHIV_COPIES@@"'/"{${copies//$'\n'/,}}"}
  state=${state//"@@POLYARCHIV_STARTED@@"/"${polyarchiv_started}"}
  state=${state//"@@POLYARCHIV_NOW@@"/"${now}"}
  # The message names a config line, which may hold quotes: escape it for JSON.
  message=${message//\\/\\\\}
  message=${message//\"/\\\"}
  state=${state//"@@POLYARCHIV_MESSAGE@@"/"${message}"}
  # A corrupt state file is kept aside for a person to read, not overwritten.
  if [[ -n ${keep_aside} && -e ${file} ]]; then
    aside=${file}.corrupt-$(date +%Y%m%dT%H%M%S)
  fi
  # A full disk or a read-only directory fails the unit, never the run; no partial file is left.
  # shellcheck disable=SC2310 # the status is read here, set -e need not apply inside
  if ! polyarchiv_cause=$({ set +x; } 2> /dev/null; {
    polyarchiv_make_dir "${file%/*}" && polyarchiv_create_file "${file}.partial" \
      && printf '%s\n' "${state}" > "${file}.partial" \
      && { [[ -z ${aside} ]] || mv -f -- "${file}" "${aside}"; } \
      && polyarchiv_publish "${file}.partial" "${file}"
  } 2>&1); then
    rm -f -- "${file}.partial" 2> /dev/null || true
    polyarchiv_cause="cannot record the state in ${file}: ${polyarchiv_cause##*: }"
    return 1
  fi
}

# A run killed between the two renames of polyarchiv_dir_swap left only the previous copy.
polyarchiv_dir_recover() {
  local target=$1 previous=$2
  if [[ -d ${previous} ]]; then
    if [[ -e ${target} ]]; then
      rm -rf -- "${previous}"
    else
      mv -T -- "${previous}" "${target}"
    fi
  fi
}

# The staged tree was flushed by the step before (sync -f); the renames are, by the directory's sync.
polyarchiv_dir_swap() {
  local staging=$1 target=$2 previous=$3
  if [[ -e ${target} ]]; then
    mv -T -- "${target}" "${previous}"
  fi
  mv -T -- "${staging}" "${target}"
  sync -- "${target%/*}"
  rm -rf -- "${previous}"
}

# Writes a private file (mode 0600) in the work directory from `text VALUE`,
# `secret ESCAPE VALUE` and `file ESCAPE NEWLINE NAME` parts: ESCAPE lists the characters to
# precede with a backslash; a file part is the text of the work file NAME without its final
# newlines, each of its line breaks replaced by NEWLINE.
polyarchiv_private_file() {
  local work_file=$1 owner=$2
  shift 2
  local -a parts=("$@")
  local file=${polyarchiv_work}/${work_file} content='' value escape newline='' c i n=0 width
  while ((n < ${#parts[@]})); do
    case ${parts[n]} in
      text)
        content+=${parts[n + 1]}
        n=$((n + 2))
        continue
        ;;
      secret) escape=${parts[n + 1]} value=${parts[n + 2]} width=3 ;;
      *)
        escape=${parts[n + 1]} newline=${parts[n + 2]} width=4
        value=$(<"${polyarchiv_work}/${parts[n + 3]}")
        ;;
    esac
    for ((i = 0; i < ${#escape}; i++)); do
      c=${escape:i:1}
      value=${value//"${c}"/"\\${c}"}
    done
    if ((width == 4)); then
      value=${value//$'\r\n'/$'\n'}
      value=${value//$'\r'/$'\n'}
      value=${value//$'\n'/"${newline}"}
    fi
    content+=${value}
    n=$((n + width))
  done
  printf '%s' "${content}" > "${file}"
  if [[ -n ${owner} ]]; then
    chmod 711 -- "${polyarchiv_work}"
    chown -- "${owner}:" "${file}"
  fi
}

# Judges a finished dump before it replaces the previous one.
polyarchiv_check_dump() {
  local partial=$1 previous=$2 percent=$3 on_suspicious=$4
  local size old problem=''
  size=$(stat -c %s -- "${partial}")
  if ((size == 0)); then
    problem="dump ${partial} is empty"
  elif [[ -e ${previous} ]]; then
    old=$(stat -c %s -- "${previous}")
    if ((old > 0 && size * 100 < old * (100 - percent))); then
      problem="dump ${partial} shrank from ${old} to ${size} bytes (more than ${percent}%)"
    fi
  fi
  if [[ -n ${problem} ]]; then
    polyarchiv_say "  warning: ${problem}"
    if [[ ${on_suspicious} != warn ]]; then
      return 1
    fi
  fi
}

# Registers a unit: name, steps function, lock, state file, its sha256 when planned, state on
# success, state on failure, directory to measure, keep-aside when the state file is corrupt,
# then the units it requires.
polyarchiv_unit() {
  local i=${#polyarchiv_units[@]} required
  polyarchiv_index[$1]=${i}
  polyarchiv_units[i]=$1 polyarchiv_fns[i]=$2 polyarchiv_locks[i]=$3 polyarchiv_states[i]=$4
  polyarchiv_sums[i]=$5 polyarchiv_successes[i]=$6 polyarchiv_failures[i]=$7 polyarchiv_measures[i]=$8
  polyarchiv_keep_asides[i]=$9
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

# Stops the running units, each a process group with its tools; they record their failure.
polyarchiv_interrupt() {
  local pid
  polyarchiv_signal=$1
  for pid in "${polyarchiv_pids[@]}"; do
    kill -s "$1" -- "-${pid}" 2> /dev/null || true
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
    set -e
    "${polyarchiv_fns[i]}"
  )
  rc=$?
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
# units it requires have finished, and fewer than --jobs units run.
polyarchiv_start_ready() {
  local i j ready
  local -a required
  for i in "${!polyarchiv_units[@]}"; do
    if [[ -n ${polyarchiv_status[i]:-} ]]; then
      continue
    fi
    ready=1
    for ((j = 0; j < i; j++)); do
      if [[ ${polyarchiv_locks[j]} == "${polyarchiv_locks[i]}" && ${polyarchiv_status[j]:-running} == running ]]; then
        ready=0
      fi
    done
    read -r -a required <<< "${polyarchiv_requires[i]}"
    for j in "${required[@]}"; do
      if [[ ${polyarchiv_status[j]:-running} == running ]]; then
        ready=0
      fi
    done
    if ((ready == 0)); then
      continue
    fi
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
      cat -- "${out}.stdout" || true
      cat -- "${out}.stderr" >&2 || true
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
