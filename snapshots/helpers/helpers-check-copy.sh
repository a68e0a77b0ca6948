
# Before a copy changes anything, compares what would arrive with what is there: a copy that held
# files and would become empty, or lose more than PERCENT% of its files or bytes, is refused
# unless ALLOW is yes. Arguments: PERCENT ALLOW WHAT, the incoming side's dry run, the previous
# side's (an rsync dry run, the listing kept of an archive, or a mirror's `rclone size --json`,
# whose failure counts nothing), then the command that measures the previous side when that one
# fails (an archive's own listing; no words: none). The assignments before the call (a
# transport's settings) reach every command it runs. A restore into live data is refused,
# whatever ALLOW, while the previous side holds a file of the reserved name (its dry run names
# it: --debug=FILTER1), which rsync would delete to make a holding directory.
polyarchiv_check_copy() {
  local percent=$1 allow=$2 what=$3
  shift 3
  local -a incoming=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a previous=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a otherwise=("$@")
  local out files bytes old_files old_bytes entry in_the_way=no
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
  # A file of the reserved name in live data would give way to a holding directory: refused.
  polyarchiv_reserved_hidden "${out}"
  for entry in "${polyarchiv_reserved[@]}"; do
    if [[ ${entry} == 'file '* ]]; then
      polyarchiv_say "  ${what} holds ${entry}, which the restore would replace with a directory of that name, where copies hold their updates: nothing was changed; rename it, then restore again"
      in_the_way=yes
    fi
  done
  if [[ ${in_the_way} == yes ]]; then
    return 1
  fi
  # shellcheck disable=SC2310 # the status is read here, set -e need not apply inside
  if ! polyarchiv_judge_shrink "${percent}" "${allow}" "${what}" "${old_files}" "${old_bytes}" "${files}" "${bytes}"; then
    return 1
  fi
}
