# Removes from PARENT the work directories of this user's runs that are gone (killed, crashed, or
# the machine stopped), which may still hold password files. A live run holds its directory's lock
# (fd 8), and so do the tools it started, even once it is killed; a directory whose lock can be
# taken is a dead run's. Only directories named as a run names them, owned by this user and not
# symbolic links, are looked at. The lock is held while the directory is removed. An empty one is
# not asked for its lock (a process each, for every later run): a live run marks its directory
# once it holds the lock, so one left empty for 10 minutes is a run's killed before that, and
# is removed (rmdir fails, harmlessly, if a file appeared meanwhile); a newer one may be a run's
# that has just made it. One find looks at all the empty ones, and only when there are some.
polyarchiv_sweep_work() {
  local parent=$1 own=$2
  local dir entry fd full
  local -a empty=()
  for dir in "${parent}"/polyarchiv.??????; do
    if [[ ${dir} == "${own}" || -L ${dir} || ! -d ${dir} || ! -O ${dir} ]]; then
      continue
    fi
    full=0
    for entry in "${dir}"/.[!.]* "${dir}"/* "${dir}"/..?*; do
      if [[ -e ${entry} || -L ${entry} ]]; then
        full=1
        break
      fi
    done
    if ((full == 0)); then
      # find would read a relative path that starts with - as an option.
      if [[ ${dir} != /* ]]; then
        dir=./${dir}
      fi
      empty+=("${dir}")
      continue
    fi
    { exec {fd}<"${dir}"; } 2> /dev/null || continue
    if flock --nonblock "${fd}" 2> /dev/null; then
      rm -rf -- "${dir}" 2> /dev/null || true
    fi
    exec {fd}<&-
  done
  if ((${#empty[@]} > 0)); then
    find "${empty[@]}" -maxdepth 0 -type d -empty -mmin +10 -delete 2> /dev/null || true
  fi
}

# Without a private work directory every unit fails, each with its own state record. The run
# locks it on fd 8, which every tool inherits, for as long as any of them lives; then removes what
# dead runs left beside it.
polyarchiv_work_error='' polyarchiv_work_parent=${TMPDIR:-/tmp}
if ! polyarchiv_work=$(mktemp -d -- "${polyarchiv_work_parent}/polyarchiv.XXXXXX" 2>&1); then
  polyarchiv_work_error=${polyarchiv_work##*: }
  polyarchiv_work=''
else
  exec 8<"${polyarchiv_work}"
  # Waits: a run starting beside this one may be looking into the new directory (its sweep).
  polyarchiv_work_wait=10
  polyarchiv_work_mark=${polyarchiv_work}/.run
  if polyarchiv_work_error=$(flock --wait "${polyarchiv_work_wait}" 8 2>&1); then
    # Marked once locked, until it is removed: a live run's directory is never left empty.
    if ! { : > "${polyarchiv_work_mark}"; } 2> /dev/null; then
      # Once more, for bash's words of why.
      polyarchiv_work_error=$({ : > "${polyarchiv_work_mark}"; } 2>&1) || true
      polyarchiv_work_error=${polyarchiv_work_error##*: }
    fi
  else
    polyarchiv_work_status=$?
    if ((polyarchiv_work_status == 127)); then
      polyarchiv_work_error='flock: command not found'
    elif [[ -n ${polyarchiv_work_error} ]]; then
      polyarchiv_work_error=${polyarchiv_work_error##*: }
    else
      polyarchiv_work_error="its lock stayed held by another process for ${polyarchiv_work_wait} s (flock exited with ${polyarchiv_work_status})"
    fi
  fi
  if [[ -z ${polyarchiv_work_error} ]]; then
    polyarchiv_sweep_work "${polyarchiv_work_parent}" "${polyarchiv_work}"
  else
    exec 8<&-
    rm -rf -- "${polyarchiv_work}"
    polyarchiv_work=''
  fi
fi
# Successes are dated when the run started: their data is from then. One reading of the clock,
# so that both forms name the same second.
printf -v polyarchiv_started_seconds '%(%s)T' -1
printf -v polyarchiv_started '%(%Y-%m-%dT%H:%M:%S)T' "${polyarchiv_started_seconds}"
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
# When each unit started and how long it took, in microseconds, for the summary.
declare -a polyarchiv_started_us=() polyarchiv_took_us=()
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
# What polyarchiv_explain said of the step's failing command, or why a guard refused its copy or
# dump: the state records it with the failure.
polyarchiv_explained=''
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

# Progress (units, steps, summary) and what a step found that is no problem: nothing under -q.
polyarchiv_progress() {
  if [[ ${polyarchiv_quiet} != true ]]; then
    printf 'polyarchiv: %s\n' "$*" >&2 || true
  fi
}

# Announces a step; the ERR trap names it if it fails. A unit that a signal reached before its
# steps (during its hooks) runs none: the first one is where it was interrupted.
polyarchiv_step() {
  polyarchiv_current_step="step $1 of $2 at $4"
  polyarchiv_explained=''
  printf '%s' "${polyarchiv_current_step}" > "${polyarchiv_unit_file}.step"
  polyarchiv_progress "  $1/$2 $3"
  if [[ -n ${polyarchiv_signal} ]]; then
    exit 1
  fi
}

# Why the step fails (a guard refused its copy or dump, a copy could not be read), as the state
# records it: the line the helper said, unindented.
polyarchiv_record_why() {
  polyarchiv_explained=${1#"${1%%[! ]*}"}
}

# Says why the step fails, as a helper's line, and records it; nothing when there are no words (a
# helper's optional words, such as a restore's for a copy it could not read).
polyarchiv_say_why() {
  if [[ -n $1 ]]; then
    polyarchiv_say "  $1"
    polyarchiv_record_why "$1"
  fi
}

polyarchiv_on_error() {
  if [[ -n ${polyarchiv_current_step} && ! -e ${polyarchiv_unit_file}.failure ]]; then
    if [[ -n ${polyarchiv_explained} ]]; then
      printf '%s' "failed with exit code $1: ${polyarchiv_current_step}: ${polyarchiv_explained}" > "${polyarchiv_unit_file}.failure"
    else
      printf '%s' "failed with exit code $1: ${polyarchiv_current_step}" > "${polyarchiv_unit_file}.failure"
    fi
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

# The unit's scratch (partials, staging copies, listings: what its steps write only for its own
# length), removed as the unit's subshell exits, whatever its steps' outcome: a step that fails,
# or that a signal ends (its subshell exits once the running command has), leaves no partial dump
# or decrypted copy behind it. A success has published or removed them already. A killed run runs
# no trap: the next run's steps remove what it left before they write.
polyarchiv_scratch() {
  local -a paths=("$@")
  polyarchiv_scratch_paths=("${paths[@]}")
  trap 'polyarchiv_drop_scratch' EXIT
}

# A private home for the unit's gpg, made at its start: gpg leaves the daemons it starts there
# (gpg-agent) running once it ends, so they are stopped as the unit's subshell exits, with its
# scratch, whatever its steps' outcome, and the home removed. The agent is started here, before
# any gpg: a gpg that a signal ends while it starts one would leave it starting after the unit's
# end stopped the others. GPGCONF: the one beside the gpg; a failure is left for gpg to say.
polyarchiv_gpg_home() {
  local gpgconf=$1 home=$2
  # A gpg given by its path may be a wrapper with no gpgconf beside it: then GnuPG's, from PATH.
  if [[ ${gpgconf} == */* && ! -x ${gpgconf} ]]; then
    gpgconf=gpgconf
  fi
  polyarchiv_gpg_homes+=("${gpgconf}" "${home}")
  trap 'polyarchiv_drop_scratch' EXIT
  rm -rf -- "${home}" || true
  (umask 077 && mkdir -p -- "${home}") || true
  "${gpgconf}" --homedir "${home}" --launch gpg-agent 2> /dev/null || true
}

polyarchiv_scratch_paths=() polyarchiv_gpg_homes=()

polyarchiv_drop_scratch() {
  local i n socket
  for ((i = 0; i < ${#polyarchiv_gpg_homes[@]}; i += 2)); do
    socket=$("${polyarchiv_gpg_homes[i]}" --homedir "${polyarchiv_gpg_homes[i + 1]}" --list-dirs agent-socket 2> /dev/null) || socket=''
    "${polyarchiv_gpg_homes[i]}" --homedir "${polyarchiv_gpg_homes[i + 1]}" --kill all 2> /dev/null || true
    # gpgconf returns once the agent was told to stop: it has stopped when its socket is gone.
    for ((n = 0; n < 50; n++)); do
      if [[ ! -S ${socket} ]]; then
        break
      fi
      sleep 0.1
    done
    rm -rf -- "${polyarchiv_gpg_homes[i + 1]}" || true
  done
  if ((${#polyarchiv_scratch_paths[@]} > 0)); then
    rm -rf -- "${polyarchiv_scratch_paths[@]}" || true
  fi
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

# After a command that failed with STATUS: succeeds when STATUS is the one that also means the
# command did its work (a deletion whose directory is already gone); else returns STATUS, which
# the ERR trap reports as the command's.
polyarchiv_tolerate() {
  local status=$1 tolerated=$2
  if (( status == tolerated )); then
    # An explained status that is no failure here: nothing to record of it.
    polyarchiv_explained=''
    return 0
  fi
  return "${status}"
}

# After a command that failed with STATUS: runs CLEANUP, the removal of what the command left on
# another host (an upload's partial), whose status and output change nothing: a host that could
# not be reached is said by the failed command already. Returns STATUS.
polyarchiv_after_failure() {
  local status=$1
  shift 1
  local -a cleanup=("$@")
  "${cleanup[@]}" > /dev/null 2>&1 || true
  return "${status}"
}

# After a command that failed with STATUS, given pairs of a status (or `other`: any) and its
# meaning: says the meaning of STATUS, one the tool does not print itself (rclone's "nothing
# transferred"); returns STATUS all the same.
polyarchiv_explain() {
  local status=$1
  shift 1
  local -a explanations=("$@")
  local n
  # The first explanation of the status is said, as by its twin; those of a text the tool printed
  # (~TEXT) are said after the tool's error output, which this does not read.
  for ((n = 0; n + 1 < ${#explanations[@]}; n += 2)); do
    if [[ ${explanations[n]} == '~'* ]]; then
      continue
    fi
    if [[ ${explanations[n]} == other ]] || (( status == explanations[n] )); then
      polyarchiv_say "  ${explanations[n + 1]}"
      polyarchiv_explained=${explanations[n + 1]}
      break
    fi
  done
  return "${status}"
}

# Runs COMMAND, FILE removed before: a program that COMMAND starts writes its own error output
# there (the ssh that restic runs, whose lines restic copies through a pipe it may exit before
# reading to its end). Then shows each line of FILE after PREFIX, without the carriage return ssh
# ends it with, on the error output, as the tool's own, and removes FILE. Returns COMMAND's status.
polyarchiv_child_errors() {
  local file=$1 prefix=$2
  shift 2
  local -a command=("$@")
  local rc=0 line
  rm -f -- "${file}"
  "${command[@]}" || rc=$?
  if [[ -f ${file} ]]; then
    while IFS= read -r line || [[ -n ${line} ]]; do
      printf '%s%s\n' "${prefix}" "${line%$'\r'}" >&2 || true
    done < "${file}"
    rm -f -- "${file}"
  fi
  return "${rc}"
}

# After a command that ended with STATUS, its error output kept in the file ERRORS: a status it
# explains is said in those words only, instead of the tool's (rclone's "Failed to lsjson:
# directory not found" for a copy that is not there); any other status, a success too, shows what
# the tool said, then the meaning of the first text it printed that an explanation names (~TEXT:
# which option is wrong), or of any other failure (`other`) when one is given. Returns STATUS.
polyarchiv_explain_errors() {
  local status=$1 errors=$2
  shift 2
  local -a explanations=("$@")
  local n
  for ((n = 0; n + 1 < ${#explanations[@]}; n += 2)); do
    if [[ ${explanations[n]} != other && ${explanations[n]} != '~'* ]] && ((status != 0 && status == explanations[n])); then
      polyarchiv_explain "${status}" "${explanations[@]}"
      return
    fi
  done
  polyarchiv_show_kept_errors "${errors}"
  if ((status != 0)); then
    polyarchiv_explain_printed "${polyarchiv_kept_errors}" "${explanations[@]}"
    if [[ -n ${polyarchiv_printed_said} ]]; then
      return "${status}"
    fi
    polyarchiv_explain "${status}" "${explanations[@]}"
    return
  fi
  return "${status}"
}

# Says the words of the first explanation (pairs of ~TEXT and MESSAGE, among those of statuses)
# whose TEXT the tool's output PRINTED holds, and records them; sets polyarchiv_printed_said to
# `yes` when it found one, else to nothing.
polyarchiv_explain_printed() {
  local printed=$1 n text next
  shift
  polyarchiv_printed_said=''
  for ((n = 1; n < $#; n += 2)); do
    text=${!n}
    next=$((n + 1))
    if [[ ${text} == '~'* && ${printed} == *"${text#'~'}"* ]]; then
      polyarchiv_say_why "${!next}"
      polyarchiv_printed_said=yes
      return
    fi
  done
}

# Shows the error output a tool kept in the file ERRORS until it ended, as the tool's own; its
# text is left in polyarchiv_kept_errors.
polyarchiv_show_kept_errors() {
  polyarchiv_kept_errors=''
  if [[ -s $1 ]]; then
    cat -- "$1" >&2 || true
    polyarchiv_kept_errors=$(< "$1") || true
  fi
}

# After a tool that ended with STATUS, its error output kept in the file ERRORS: shows it and
# removes the file; a failure is then said in the words of the first of EXPLANATIONS (~TEXT
# MESSAGE) whose text the tool printed, else in FALLBACK's (when it is not empty).
polyarchiv_kept_errors_said() {
  local status=$1 errors=$2 fallback=$3
  shift 3
  polyarchiv_show_kept_errors "${errors}"
  rm -f -- "${errors}"
  if ((status != 0)); then
    polyarchiv_explain_printed "${polyarchiv_kept_errors}" "$@"
    if [[ -z ${polyarchiv_printed_said} ]]; then
      polyarchiv_say_why "${fallback}"
    fi
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

# Judges a dump: a backup's finished dump before it replaces the previous one (PREVIOUS), or a
# restore's before it is loaded (PREVIOUS empty, ON_SUSPICIOUS refuse or allow). With a MARK, a
# dump is whole when a line of its last END_BYTES starts with it: read with tail, not the whole
# file.
polyarchiv_check_dump() {
  local partial=$1 previous=$2 percent=$3 on_suspicious=$4 mark=$5 end_bytes=$6
  local size old problem='' end incomplete=''
  size=$(stat -c %s -- "${partial}")
  if ((size == 0)); then
    problem="dump ${partial} is empty"
    if [[ -n ${mark} ]]; then
      incomplete=yes
    fi
  elif [[ -n ${mark} ]]; then
    end=$(tail -c "${end_bytes}" -- "${partial}")
    if [[ $'\n'${end} != *$'\n'"${mark}"* ]]; then
      problem="dump ${partial} is incomplete: no line of its last ${end_bytes} bytes starts with '${mark}', the line written once everything is dumped"
      incomplete=yes
    fi
  fi
  if [[ -z ${problem} && -n ${previous} && -e ${previous} ]]; then
    old=$(stat -c %s -- "${previous}")
    if ((old > 0 && size * 100 < old * (100 - percent))); then
      problem="dump ${partial} shrank by more than ${percent}%: bytes: ${old} before, ${size} now"
    fi
  fi
  if [[ -z ${problem} ]]; then
    return 0
  fi
  case ${on_suspicious} in
    allow)
      polyarchiv_say "  ${problem}"
      polyarchiv_say "  accepted: --allow-shrink"
      ;;
    refuse)
      polyarchiv_say "  ${problem}"
      polyarchiv_say "  refused: nothing was changed; run with --allow-shrink if this is expected"
      polyarchiv_record_why "  ${problem}"
      return 1
      ;;
    *)
      if [[ -n ${incomplete} ]]; then
        polyarchiv_say "  refused: ${problem}; the previous dump is kept"
        polyarchiv_record_why "  refused: ${problem}; the previous dump is kept"
        return 1
      fi
      polyarchiv_say "  warning: ${problem}"
      if [[ ${on_suspicious} != warn ]]; then
        polyarchiv_record_why "  warning: ${problem}"
        return 1
      fi
      ;;
  esac
}
