
# Sets the work tree to the last commit made at or before a time. CHOOSE prints that commit as
# HASH<TAB>TIME, or nothing when the history holds none that old; RESET runs with the hash as its
# last word. When there is none, NONE is said and nothing changes; a failure of CHOOSE is its own,
# passed on.
polyarchiv_git_reset_at() {
  local none=$1
  shift 1
  local -a choose=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a reset=("$@")
  local chosen commit made rc=0
  chosen=$("${choose[@]}") || rc=$?
  if ((rc != 0)); then
    return "${rc}"
  fi
  if [[ -z ${chosen} ]]; then
    polyarchiv_say_why "${none}"
    return 1
  fi
  IFS=$'\t' read -r commit made <<<"${chosen}"
  local short_hash=${commit:0:8}
  polyarchiv_progress "  commit ${short_hash}, made ${made}"
  "${reset[@]}" "${commit}"
}
