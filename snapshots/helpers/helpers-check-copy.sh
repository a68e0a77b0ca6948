
# Before a copy changes anything, compares what would arrive with what is there: a copy that held
# files and would become empty, or lose more than PERCENT% of its files or bytes, is refused
# unless ALLOW is yes. Arguments: PERCENT ALLOW WHAT, the incoming side's dry run, the previous
# side's (an rsync dry run, or the listing kept of an archive), then the command that measures the
# previous side when that one fails (an archive's own listing; no words: none).
polyarchiv_check_copy() {
  local percent=$1 allow=$2 what=$3
  shift 3
  local -a incoming=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a previous=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a otherwise=("$@")
  local out files bytes old_files old_bytes
  if ! out=$("${incoming[@]}" 2>&1); then
    polyarchiv_say "  cannot measure what ${what} would receive:"
    printf '%s\n' "${out}" >&2 || true
    return 1
  fi
  polyarchiv_copy_stats "${out}"
  files=${polyarchiv_stats[0]} bytes=${polyarchiv_stats[1]}
  if ! out=$("${previous[@]}" 2>&1) && ((${#otherwise[@]} > 0)); then
    out=$("${otherwise[@]}" 2>&1) || true
  fi
  polyarchiv_copy_stats "${out}"
  old_files=${polyarchiv_stats[0]} old_bytes=${polyarchiv_stats[1]}
  # shellcheck disable=SC2310 # the status is read here, set -e need not apply inside
  if ! polyarchiv_judge_shrink "${percent}" "${allow}" "${what}" "${old_files}" "${old_bytes}" "${files}" "${bytes}"; then
    return 1
  fi
}
