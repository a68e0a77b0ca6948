
# The kernel drops an flock when its last holder dies: the tools inherit fd 9, so the lock lives
# as long as any of them, and no stale lock survives a killed run. The file is removed before the
# lock is released (polyarchiv_unlock), because the original PolyArchiv takes an existing lock
# file for a live lock; so a lock taken on a file that another run has just removed is taken
# again on the path's new file. Returns 1 when another run holds it, 2 (with polyarchiv_cause)
# when it cannot be taken.
polyarchiv_lock() {
  local lock_file=$1
  local rc cause lock_dir=${lock_file%/*}
  # Its errors go to the unit's file, as the open's below: no subshell to capture them.
  # shellcheck disable=SC2310 # the status is read here, set -e need not apply inside
  if ! polyarchiv_make_dir "${lock_dir}" 2> "${polyarchiv_unit_file}.error"; then
    cause=$(<"${polyarchiv_unit_file}.error")
    cause=${cause##*: }
    polyarchiv_cause="cannot create ${lock_dir}: ${cause}"
    return 2
  fi
  while :; do
    if ! { exec 9>>"${lock_file}"; } 2>"${polyarchiv_unit_file}.error"; then
      cause=$(<"${polyarchiv_unit_file}.error")
      cause=${cause##*: }
      polyarchiv_cause="cannot open the lock file ${lock_file}: ${cause}"
      return 2
    fi
    rc=0
    cause=$(flock --nonblock 9 2>&1) || rc=$?
    case ${rc} in
      0) ;;
      1)
        polyarchiv_say "  ${lock_file} is locked by another run"
        return 1
        ;;
      127)
        cause='flock: command not found'
        polyarchiv_cause="cannot lock ${lock_file}: ${cause}"
        return 2
        ;;
      *)
        cause=${cause##*: }
        polyarchiv_cause="cannot lock ${lock_file}: ${cause}"
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
  local actual='' cause
  if [[ -e ${state_file} ]]; then
    # Under bash -x a trace line would join the digest: tracing stops inside the substitution.
    if ! actual=$({ set +x; } 2> /dev/null; { sha256sum < "${state_file}"; } 2>&1); then
      cause=${actual##*: }
      polyarchiv_cause="cannot read the state file ${state_file}: ${cause}"
      return 2
    fi
    actual=${actual%% *}
  fi
  if [[ ${actual} != "${expected}" ]]; then
    polyarchiv_say "  stale plan: ${state_file} changed since the plan was made; run polyarchiv plan again"
    return 1
  fi
}

# The data reaches the disk before the rename that publishes it, and the rename before the run
# goes on: a crash leaves the old file or the new one, whole.
polyarchiv_publish() {
  local partial=$1 file=$2
  sync -- "${partial}" && mv -fT -- "${partial}" "${file}" && sync -- "${file%/*}"
}

# Fills a state template and publishes it. MEASURE: the directory whose size becomes total_size;
# COPIES: the figures the unit's copies kept, one JSON member a line; MEASURED_PARTS: a file of the
# parts of MEASURE the copies counted, each a du --exclude pattern and its bytes, NUL-terminated.
polyarchiv_record() {
  local file=$1 state=$2 message=$3 measure=$4 keep_aside=$5 copies=$6 measured_parts=$7
  local aside='' now size=0 ended counted=0 k
  local -a excludes=() part=()
  # Dates by bash itself: a process, which copies the whole script's shell, costs milliseconds
  # in a script of thousands of units.
  printf -v now '%(%Y-%m-%dT%H:%M:%S)T' -1
  printf -v ended '%(%s)T' -1
  if [[ -n ${measure} && -e ${measure} ]]; then
    # What the copies counted is not walked again.
    if [[ -n ${measured_parts} && -e ${measured_parts} ]]; then
      mapfile -d '' part < "${measured_parts}"
      for ((k = 0; k + 1 < ${#part[@]}; k += 2)); do
        excludes+=("--exclude=${part[k]}")
        counted=$((counted + part[k + 1]))
      done
    fi
    if size=$(du -s -b "${excludes[@]}" -- "${measure}"); then
      size=$((${size%%[[:space:]]*} + counted))
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
    local cause=${polyarchiv_cause##*: }
    polyarchiv_cause="cannot record the state in ${file}: ${cause}"
    return 1
  fi
}
