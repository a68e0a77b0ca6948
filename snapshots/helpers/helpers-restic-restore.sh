
# Restores the newest snapshot not after NOT_AFTER (seconds since the epoch; empty: the newest).
# LIST prints the snapshots as JSON (restic snapshots --json), PARSE reads them into
# SECONDS<TAB>ID<TAB>TIME lines;
# of equal times the one with the greatest id is taken (restic lists those in no fixed order).
# RESTORE runs with the snapshot's id as its last word. When no snapshot is that old, NONE is said
# and nothing is restored; a failure of LIST is its own, passed on, followed by UNLISTED (the
# repository could not be read); a failure of PARSE is its own, passed on; a failure of RESTORE
# is its own too, followed by UNREADABLE (what was left as it was, where to turn).
# restic skips a snapshot file it cannot decode (saying so) and still exits 0, so before NONE,
# FILES prints the ids of the snapshot files, undecoded, and when there are some, EVERY prints
# the snapshots of every tag as LIST does: a file whose snapshot EVERY does not print may be the
# copy, and UNLISTED is said instead, with the status damaged. Their failures are as LIST's.
# RECORDED (seconds; empty: none) is the time of the newest snapshot the backups recorded: when the
# one chosen is older, that snapshot is gone or was skipped as damaged, and RECORDED_MISSING is
# said instead of restoring an older copy without a word, with the status damaged.
# Each restic command's error output is kept until it ends, then shown: a failure after a text
# that one of EXPLANATIONS (~TEXT MESSAGE) names says MESSAGE (which option is wrong) instead of
# UNLISTED or UNREADABLE.
polyarchiv_restic_restore_at() {
  local not_after=$1 recorded=$2 recorded_missing=$3 none=$4 unlisted=$5 unreadable=$6
  shift 6
  local -a explanations=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a list=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a parse=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a files=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a every=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a restore=("$@")
  local listed lines seconds id time chosen='' taken='' newest=-1 rc=0 errors
  errors=$(mktemp -- "${polyarchiv_work}/restic-restore.XXXXXX") || return
  listed=$("${list[@]}" 2>"${errors}") || rc=$?
  polyarchiv_kept_errors_said "${rc}" "${errors}" "${unlisted}" "${explanations[@]}"
  if ((rc != 0)); then
    return "${rc}"
  fi
  lines=$("${parse[@]}" <<<"${listed}") || rc=$?
  if ((rc != 0)); then
    return "${rc}"
  fi
  while IFS=$'\t' read -r seconds id time; do
    if [[ -n ${seconds} ]] && { [[ -z ${not_after} ]] || ((seconds <= not_after)); } &&
      { ((seconds > newest)) || { ((seconds == newest)) && [[ ${id} > ${chosen} ]]; }; }; then
      newest=${seconds} chosen=${id} taken=${time}
    fi
  done <<<"${lines}"
  if [[ -z ${chosen} ]]; then
    local stored
    stored=$("${files[@]}" 2>"${errors}") || rc=$?
    polyarchiv_kept_errors_said "${rc}" "${errors}" "${unlisted}" "${explanations[@]}"
    if ((rc == 0)) && [[ -n ${stored} ]]; then
      listed=$("${every[@]}" 2>"${errors}") || rc=$?
      polyarchiv_kept_errors_said "${rc}" "${errors}" "${unlisted}" "${explanations[@]}"
    fi
    if ((rc != 0)); then
      return "${rc}"
    fi
    if [[ -n ${stored} ]]; then
      lines=$("${parse[@]}" <<<"${listed}") || rc=$?
      if ((rc != 0)); then
        return "${rc}"
      fi
      local -A decoded=()
      while IFS=$'\t' read -r seconds id time; do
        if [[ -n ${id} ]]; then
          decoded[${id}]=1
        fi
      done <<<"${lines}"
      while read -r id; do
        if [[ -n ${id} && -z ${decoded[${id}]:-} ]]; then
          polyarchiv_say_why "${unlisted}"
          return 6
        fi
      done <<<"${stored}"
    fi
    polyarchiv_say_why "${none}"
    return 1
  fi
  if [[ -n ${recorded} ]] && ((newest < recorded)); then
    polyarchiv_say_why "${recorded_missing}"
    return 6
  fi
  local short_id=${chosen:0:8}
  polyarchiv_progress "  snapshot ${short_id}, taken ${taken}"
  "${restore[@]}" "${chosen}" 2>"${errors}" || rc=$?
  polyarchiv_kept_errors_said "${rc}" "${errors}" "${unreadable}" "${explanations[@]}"
  return "${rc}"
}

