# shellcheck shell=bash

# Reads the regular files and total size from the --stats of an rsync dry run into
# polyarchiv_stats (FILES BYTES); zeros when there are none (a directory that does not exist yet).
polyarchiv_copy_stats() {
  polyarchiv_stats=(0 0)
  if [[ $1 =~ Number\ of\ files:\ [0-9]+\ \([^\)]*reg:\ ([0-9]+) ]]; then
    polyarchiv_stats[0]=${BASH_REMATCH[1]}
  fi
  if [[ $1 =~ Total\ file\ size:\ ([0-9]+)\ bytes ]]; then
    polyarchiv_stats[1]=${BASH_REMATCH[1]}
  fi
}

# Before a copy changes anything, compares what would arrive with what is there: a copy that held
# files and would become empty, or lose more than PERCENT% of its files or bytes, is refused
# unless ALLOW is yes. Arguments: PERCENT ALLOW WHAT N, the N words of the incoming side's dry
# run, then those of the previous side's.
polyarchiv_check_copy() {
  local percent=$1 allow=$2 what=$3 count=$4 out files bytes old_files old_bytes problem=''
  shift 4
  if ! out=$("${@:1:count}" 2>&1); then
    polyarchiv_say "  cannot measure what ${what} would receive:"
    printf '%s\n' "${out}" >&2
    return 1
  fi
  polyarchiv_copy_stats "${out}"
  files=${polyarchiv_stats[0]} bytes=${polyarchiv_stats[1]}
  out=$("${@:count+1}" 2>&1) || true
  polyarchiv_copy_stats "${out}"
  old_files=${polyarchiv_stats[0]} old_bytes=${polyarchiv_stats[1]}
  if ((old_files > 0)); then
    if ((files == 0)); then
      problem='would become empty'
    elif ((files * 100 < old_files * (100 - percent) || bytes * 100 < old_bytes * (100 - percent))); then
      problem="would shrink by more than ${percent}% (max_shrink_percent)"
    fi
  fi
  if [[ -n ${problem} ]]; then
    polyarchiv_say "  ${what} ${problem}: ${old_files} files (${old_bytes} bytes) now, ${files} files (${bytes} bytes) incoming"
    if [[ ${allow} != yes ]]; then
      polyarchiv_say '  refused: nothing was changed; run with --allow-shrink if this is expected'
      return 1
    fi
    polyarchiv_say '  accepted: --allow-shrink'
  fi
}
