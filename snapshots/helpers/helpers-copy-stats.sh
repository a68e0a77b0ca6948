
# Reads what a copy would receive or received into polyarchiv_stats (REGULAR_FILES BYTES ENTRIES):
# from the --stats of an rsync run (ENTRIES: every entry, the top directory being one), else from
# an `rclone size --json` (ENTRIES: its files), else from an archive's `tar -tv` listing (regular
# files and hard links, the bytes of the regular ones, ENTRIES 0); zeros when there are none (a
# directory or an archive that does not exist yet). Each figure is read at the start of a line:
# a file name that an rsync line quotes (--debug=FILTER1) never passes for one.
polyarchiv_copy_stats() {
  local line stats=no nl=$'\n' text=$'\n'$1
  polyarchiv_stats=(0 0 0)
  if [[ ${text} =~ ${nl}\{\"count\":([0-9]+),\"bytes\":([0-9]+) ]]; then
    polyarchiv_stats=("${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}")
    return 0
  fi
  if [[ ${text} =~ ${nl}Number\ of\ files:\ ([0-9]+) ]]; then
    polyarchiv_stats[2]=${BASH_REMATCH[1]} stats=yes
  fi
  if [[ ${text} =~ ${nl}Number\ of\ files:\ [0-9]+\ \([^\)]*reg:\ ([0-9]+) ]]; then
    polyarchiv_stats[0]=${BASH_REMATCH[1]}
  fi
  if [[ ${text} =~ ${nl}Total\ file\ size:\ ([0-9]+)\ bytes ]]; then
    polyarchiv_stats[1]=${BASH_REMATCH[1]} stats=yes
  fi
  if [[ ${stats} == no ]]; then
    while IFS= read -r line; do
      if [[ ${line} =~ ^[-h][^[:space:]]*[[:space:]]+[^[:space:]]+[[:space:]]+([0-9]+)[[:space:]] ]]; then
        polyarchiv_stats[0]=$((polyarchiv_stats[0] + 1))
        if [[ ${line} == -* ]]; then
          polyarchiv_stats[1]=$((polyarchiv_stats[1] + BASH_REMATCH[1]))
        fi
      fi
    done <<<"$1"
  fi
}

# Reads the entries of the reserved name that an rsync run with --debug=FILTER1 names as hidden
# into polyarchiv_reserved, in their order: `directory a/NAME`, `file NAME`.
polyarchiv_reserved_hidden() {
  local line hidden='[sender] hiding ' reserved=' because of pattern .~polyarchiv~'
  polyarchiv_reserved=()
  if [[ $1 != *"${reserved}"* ]]; then
    return 0
  fi
  while IFS= read -r line; do
    if [[ ${line} == "${hidden}"*"${reserved}" ]]; then
      line=${line#"${hidden}"}
      polyarchiv_reserved+=("${line%"${reserved}"}")
    fi
  done <<<"$1"
}

# Judges a copy by its figures before it changes anything: one whose target held files is refused
# (status 1) when it would become empty, or lose more than PERCENT% of its files or bytes, unless
# ALLOW is yes. Arguments: PERCENT ALLOW WHAT OLD_FILES OLD_BYTES FILES BYTES.
polyarchiv_judge_shrink() {
  local percent=$1 allow=$2 what=$3 old_files=$4 old_bytes=$5 files=$6 bytes=$7 problem
  if ((old_files <= 0)); then
    return 0
  elif ((files == 0)); then
    problem='would become empty'
  elif ((files * 100 < old_files * (100 - percent) || bytes * 100 < old_bytes * (100 - percent))); then
    problem="would shrink by more than ${percent}% (max_shrink_percent)"
  else
    return 0
  fi
  polyarchiv_say "  ${what} ${problem}: files: ${old_files} now, ${files} incoming; bytes: ${old_bytes} now, ${bytes} incoming"
  if [[ ${allow} == yes ]]; then
    polyarchiv_say "  accepted: --allow-shrink"
    return 0
  fi
  polyarchiv_say "  refused: nothing was changed; run with --allow-shrink if this is expected"
  polyarchiv_record_why "  ${what} ${problem}: files: ${old_files} now, ${files} incoming; bytes: ${old_bytes} now, ${bytes} incoming"
  return 1
}
