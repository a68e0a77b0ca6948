# Takes the newest file of a dated series, or the newest directory (a series of mirrors). LIST
# prints paths, one per line (each after its time, for a series ordered by modification time; a
# directory's with a final slash); those that PATTERN (an extended regular expression)
# matches are candidates, group PATH_GROUP their path (0: the whole line), and the groups ORDER
# names, joined, are a candidate's time, which sorts as text; of equal times the greatest path is
# taken. Not after NOT_AFTER when it is not empty. GET runs with PREFIX and the path as one word,
# then the words of AFTER; the path is said after SHOWN_PREFIX (where the configuration names
# it). When no path is that old, NONE is said and nothing is taken; a failure of LIST is its own,
# passed on after UNLISTED, and one of GET after UNREADABLE (each when not empty), or after the
# words of the first EXPLANATIONS (~TEXT MESSAGE) whose text its error output holds: with
# EXPLANATIONS, the error output of LIST and GET is kept until each ends, then shown.
polyarchiv_newest_file() {
  local pattern=$1 path_group=$2 order=$3 not_after=$4 none=$5 unlisted=$6 unreadable=$7 prefix=$8 shown_prefix=$9
  shift 9
  local -a explanations=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a list=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a after=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a get=("$@")
  local listed line path key group chosen='' newest='' found shown rc=0
  local -a groups
  read -r -a groups <<<"${order}"
  if ((${#explanations[@]} == 0)); then
    listed=$("${list[@]}") || rc=$?
    if ((rc != 0)); then
      polyarchiv_say_why "${unlisted}"
    fi
  else
    listed=$("${list[@]}" 2> "${polyarchiv_unit_file}.newest-errors") || rc=$?
    polyarchiv_kept_errors_said "${rc}" "${polyarchiv_unit_file}.newest-errors" "${unlisted}" "${explanations[@]}"
  fi
  if ((rc != 0)); then
    return "${rc}"
  fi
  while IFS= read -r line; do
    [[ ${line} =~ ${pattern} ]] || continue
    path=${BASH_REMATCH[path_group]}
    key=''
    for group in "${groups[@]}"; do
      key+=${BASH_REMATCH[group]}
    done
    if [[ -n ${not_after} && ${key} > ${not_after} ]]; then
      continue
    fi
    if [[ -z ${chosen} || ${key} > ${newest} || (${key} == "${newest}" && ${path} > ${chosen}) ]]; then
      newest=${key} chosen=${path}
    fi
  done <<<"${listed}"
  if [[ -z ${chosen} ]]; then
    polyarchiv_say_why "${none}"
    return 1
  fi
  found=${prefix}${chosen} shown=${shown_prefix}${chosen}
  polyarchiv_progress "  the newest there: ${shown}"
  if ((${#explanations[@]} == 0)); then
    "${get[@]}" "${found}" "${after[@]}" || rc=$?
    if ((rc != 0)); then
      polyarchiv_say_why "${unreadable}"
    fi
  else
    "${get[@]}" "${found}" "${after[@]}" 2> "${polyarchiv_unit_file}.newest-errors" || rc=$?
    polyarchiv_kept_errors_said "${rc}" "${polyarchiv_unit_file}.newest-errors" "${unreadable}" "${explanations[@]}"
  fi
  return "${rc}"
}
