
# Stops a service with the command `stop`, then rebuilds its data directory `target` with the
# command `load`, which reads `input`. The old contents wait in `previous`, a directory inside
# `target` (the same filesystem, and `target` itself never moves: it may be a mount point), until
# the load succeeds, and come back if it fails. A stop that fails, or a service that still has files
# of `target` open, leaves everything as it is and skips `start`: the service was not stopped, and a
# start command that launches the daemon itself would run a second one beside it (`stop_origin`
# says where the stop command is configured). Once the service is stopped, the command `start` runs
# on every way out, even when a move fails, and when a signal comes: the tools it reaches stop (the
# stop or the load fails), the previous contents come back and the service starts; then the signal
# ends the unit. The three commands run under umask 022, as an init system runs them, not the
# script's 077: the loader's directories keep the modes the service gives them (slapadd's cn=config
# ones are 0750), and a daemon the start command leaves running keeps the umask for the files it
# creates later.
polyarchiv_dir_reload() {
  local target=$1 previous=$2 input=$3 stop_origin=$4
  shift 4
  local -a stop=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a start=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a load=("$@")
  local rc=0 started=0 interrupted='' stopped=yes traps
  traps=$(trap -p INT TERM)
  trap 'interrupted=130' INT
  trap 'interrupted=143' TERM
  set +e
  if ((${#stop[@]} > 0)); then
    (umask 022 && "${stop[@]}") || rc=$?
  fi
  if [[ -n ${interrupted} ]]; then
    # The stop may have ended the service before the signal cut it: it is started again.
    rc=${interrupted}
  elif ((rc != 0)); then
    polyarchiv_say_why "the stop command (stop_command at ${stop_origin}) failed with exit code ${rc}, its output above: the service was not stopped; ${target} is left as it is and the start command is not run"
    stopped=''
  else
    polyarchiv_holder_of "${target}"
    if [[ -n ${polyarchiv_holder} ]]; then
      polyarchiv_say_why "process ${polyarchiv_holder} has files in ${target} open: the service still runs (its stop command is empty, did not stop it, or returned before it ended), and would go on with its files moved away from under it; stop it first: nothing was changed, and the start command is not run"
      rc=1
      stopped=''
    else
      (
        trap ':' INT TERM
        set -e
        polyarchiv_reload_contents "${target}" "${previous}" "${input}" "${load[@]}"
      )
      rc=$?
    fi
  fi
  set -e
  # Without fd 9: a daemon that kept the collect point's lock would lock out every later run.
  if [[ -n ${stopped} ]] && ((${#start[@]} > 0)); then
    (umask 022 && "${start[@]}") 9>&- || started=$?
  fi
  trap - INT TERM
  eval "${traps}"
  if [[ -n ${interrupted} ]]; then
    exit "${interrupted}"
  fi
  if ((rc == 0)); then
    rc=${started}
  fi
  return "${rc}"
}

polyarchiv_reload_contents() {
  local target=$1 previous=$2 input=$3 rc=0 entry
  shift 3
  if [[ ! -s ${input} ]]; then
    polyarchiv_say "  ${input} is missing or empty: ${target} is left as it is"
    return 1
  fi
  if [[ ! -d ${target} ]]; then
    polyarchiv_say "  ${target} is not a directory: nothing to replace"
    return 1
  fi
  # A previous run killed before its end left the last good contents aside: put them back.
  if [[ -d ${previous} ]]; then
    polyarchiv_put_back "${target}" "${previous}"
  fi
  mkdir -- "${previous}"
  polyarchiv_data_entries "${target}" "${previous}"
  for entry in "${polyarchiv_entries[@]}"; do
    mv -T -- "${entry}" "${previous}/${entry##*/}"
  done
  (umask 022 && "$@") < "${input}" || rc=$?
  if ((rc != 0)); then
    polyarchiv_say "  the load failed with exit code ${rc}: the previous contents of ${target} are put back"
  else
    polyarchiv_data_entries "${target}" "${previous}"
    if ((${#polyarchiv_entries[@]} > 0)); then
      chown -R --reference="${target}" -- "${polyarchiv_entries[@]}" || rc=$?
    fi
    if ((rc != 0)); then
      polyarchiv_say "  the loaded files could not be given the owner of ${target}: its previous contents are put back"
    fi
  fi
  # The loaded files, their owner and the moves reach the disk before the previous contents are
  # dropped, so that a crash leaves one whole database (a loader need not flush: slapadd -q does not).
  if ((rc == 0)); then
    sync -f -- "${target}" || rc=$?
  fi
  if ((rc == 0)); then
    rm -rf -- "${previous}"
  else
    polyarchiv_put_back "${target}" "${previous}"
  fi
  return "${rc}"
}

# Sets polyarchiv_holder to "PID (NAME)" of a process that holds a file under directory $1 open,
# or to nothing: a service still running on its data directory (no stop command, or one that did
# not stop it). Read from /proc, where the run sees the processes it may look at: all of them as
# root. One find for every descriptor, not a readlink each.
polyarchiv_holder_of() {
  local line pid name=''
  polyarchiv_holder=''
  while IFS= read -r -d '' line; do
    if [[ ${line#* } == "$1"/* ]]; then
      pid=${line%% *}
      pid=${pid#/proc/}
      pid=${pid%/fd}
      { read -r name < "/proc/${pid}/comm"; } 2>/dev/null || true
      polyarchiv_holder="${pid} (${name})"
      return 0
    fi
  done < <(find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 -printf '%h %l\0' 2>/dev/null || true)
}

# Empties $1 but for $2, then moves the contents of $2 back into $1 and removes $2.
polyarchiv_put_back() {
  local entry
  polyarchiv_data_entries "$1" "$2"
  if ((${#polyarchiv_entries[@]} > 0)); then
    rm -rf -- "${polyarchiv_entries[@]}"
  fi
  polyarchiv_entries_but "$2" ''
  for entry in "${polyarchiv_entries[@]}"; do
    mv -T -- "${entry}" "$1/${entry##*/}"
  done
  rmdir -- "$2"
}

# Sets polyarchiv_entries to the service's entries in its data directory $1: all but $2 and the
# file system's lost+found, where a data directory is a mount point, which fsck fills with what it
# recovers: it is never moved aside, given to the service's owner nor deleted.
polyarchiv_data_entries() {
  local entry
  polyarchiv_entries_but "$1" "$2"
  for entry in "${!polyarchiv_entries[@]}"; do
    if [[ ${polyarchiv_entries[entry]} == "$1/lost+found" && -d ${polyarchiv_entries[entry]} && ! -L ${polyarchiv_entries[entry]} ]]; then
      unset 'polyarchiv_entries[entry]'
    fi
  done
  polyarchiv_entries=("${polyarchiv_entries[@]}")
}

# Sets polyarchiv_entries to the entries of directory $1, hidden ones included, but $2.
polyarchiv_entries_but() {
  local entry
  polyarchiv_entries=()
  for entry in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    if [[ (-e ${entry} || -L ${entry}) && ${entry} != "$2" ]]; then
      polyarchiv_entries+=("${entry}")
    fi
  done
}
