# Without a private work directory every unit fails, each with its own state record.
polyarchiv_work_error=''
if ! polyarchiv_work=$(mktemp -d 2>&1); then
  polyarchiv_work_error=${polyarchiv_work##*: }
  polyarchiv_work=''
fi
# Successes are dated when the run started: their data is from then.
printf -v polyarchiv_started '%(%Y-%m-%dT%H:%M:%S)T' -1
trap 'polyarchiv_cleanup' EXIT
trap 'polyarchiv_on_error "$?"' ERR
trap 'polyarchiv_interrupt INT' INT
trap 'polyarchiv_interrupt TERM' TERM
# A reader that goes away (| head, a closed terminal) must not stop a run half-way: the script's
# own lines are then lost (every write of them tolerates it), its tools still stop on SIGPIPE as
# they would anywhere (a trapped signal is reset in them, an ignored one would not be).
trap ':' PIPE

# A subshell resets the traps it was given: one that a signal reached would die of it at once,
# and bash would print "Terminated" for it, which apply does not. The run's subshells exit with
# the signal's status (128 + its number) instead, once the command they run has ended (its tools
# got the signal too), and start nothing more. bash still tells of a tool that the signal ends in
# the foreground of one (a dump); one run in $(...) (a copy) it does not.
polyarchiv_exit_on_signal() {
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Units by index, in plan order: what polyarchiv_unit registers, then what each became.
declare -a polyarchiv_units=() polyarchiv_fns=() polyarchiv_locks=() polyarchiv_states=()
declare -a polyarchiv_sums=() polyarchiv_successes=() polyarchiv_failures=() polyarchiv_measures=()
declare -a polyarchiv_keep_asides=() polyarchiv_requires=() polyarchiv_status=() polyarchiv_pids=()
declare -A polyarchiv_index=()
# For each unit, the unit before it on the same lock (empty for the first); the first unit that has
# no status yet, before which polyarchiv_start_ready has nothing left to look at.
declare -a polyarchiv_before=()
declare -A polyarchiv_last_on_lock=()
polyarchiv_unstarted=0
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

# Announces a step; the ERR trap names it if it fails. A unit that a signal reached before its
# steps (during its hooks) runs none: the first one is where it was interrupted.
polyarchiv_step() {
  polyarchiv_current_step="step $1 of $2 at $4"
  printf '%s' "${polyarchiv_current_step}" > "${polyarchiv_unit_file}.step"
  polyarchiv_progress "  $1/$2 $3"
  if [[ -n ${polyarchiv_signal} ]]; then
    exit 1
  fi
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
  # Most directories exist from the run before: no process is started for them.
  if [[ -d ${path} ]]; then
    return 0
  fi
  (umask 022 && mkdir -p -- "${path}")
}

# Creates FILE new and empty (O_EXCL through noclobber; mode 0600 under the run's umask), what a
# killed run left there removed first: a file opened for writing keeps the mode and owner it
# already had, which the rename that publishes it would carry over.
polyarchiv_create_file() {
  local path=$1
  local -
  if [[ -e ${path} || -L ${path} ]]; then
    rm -f -- "${path}" || return
  fi
  set -o noclobber
  : > "${path}"
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
  # Its errors go to the unit's file, as the open's below: no subshell to capture them.
  # shellcheck disable=SC2310 # the status is read here, set -e need not apply inside
  if ! polyarchiv_make_dir "${lock_file%/*}" 2> "${polyarchiv_unit_file}.error"; then
    polyarchiv_cause=$(<"${polyarchiv_unit_file}.error")
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
  local dir=$1 count=0 changed=false entry line k
  local -a readable=()
  local -A sums=()
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
  for ((k = 1; k < $#; k += 2)); do
    entry=${dir}/${!k}
    if [[ -f ${entry} && -r ${entry} ]]; then
      readable+=("${entry}")
    fi
  done
  # One sha256sum for every file: a process per file cost seconds before the first unit of a
  # script of a thousand points (each fork copies the whole script's shell). -z ends each line with
  # NUL and leaves names as they are.
  if ((${#readable[@]} > 0)); then
    while IFS= read -r -d '' line; do
      sums[${line#*  }]=${line%%  *}
    done < <(sha256sum -z -- "${readable[@]}" 2> /dev/null || true)
  fi
  while (($# > 0)); do
    if [[ ${sums[${dir}/$1]:-} != "$2" ]]; then
      changed=true
    fi
    shift 2
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
  # The first explanation of the status is said, as by its twin.
  for ((n = 0; n + 1 < ${#explanations[@]}; n += 2)); do
    if (( status == explanations[n] )); then
      polyarchiv_say "  ${explanations[n + 1]}"
      break
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
  # Dates by bash itself: a process, which copies the whole script's shell, costs milliseconds
  # in a script of thousands of units.
  printf -v now '%(%Y-%m-%dT%H:%M:%S)T' -1
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
    printf -v aside '%s.corrupt-%(%Y%m%dT%H%M%S)T' "${file}" -1
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
