
# Updates a Subversion working copy to the revision of the last run that started at or before a
# time. LIST prints `svn log --xml` of the revisions from the one svn dates at or before AT (as svn
# prints dates) to HEAD, with the revision properties svn:date and PROPERTY (a run's start, in
# seconds since the epoch): the last whose run started by NOT_AFTER is taken, or, without PROPERTY,
# the last that svn dates by AT. When none is, BASELINE prints the revision svn dates at or before
# AT, 0 when there is none: then NONE is said and nothing changes. UPDATE runs with --revision=N,
# `--` and TARGET. Each svn command reads INPUT (the password file), or nothing when it is empty;
# a failure of one is its own, passed on, after UNREADABLE when it is not empty.
polyarchiv_svn_update_at() {
  local at=$1 not_after=$2 property=$3 none=$4 unreadable=$5 input=$6 target=$7
  shift 7
  local -a list=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a baseline=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a update=("$@")
  local listed revision rc=0 from=${input:-/dev/null}
  listed=$("${list[@]}" <"${from}") || rc=$?
  if ((rc != 0)); then
    polyarchiv_say_why "${unreadable}"
    return "${rc}"
  fi
  revision=$(awk -v at="${at}" -v not_after="${not_after}" -v property="${property}" '
    /revision="[0-9]+"/ {
      number = $0
      sub(/.*revision="/, "", number)
      sub(/".*/, "", number)
      dated = ""
      started = ""
    }
    /^<date>/ {
      dated = $0
      sub(/^<date>/, "", dated)
      sub(/<\/date>.*/, "", dated)
    }
    index($0, "name=\"" property "\">") > 0 {
      started = substr($0, index($0, "name=\"" property "\">") + length(property) + 8)
      sub(/<\/property>.*/, "", started)
    }
    /^<\/logentry>/ && number + 0 > 0 {
      if (started ~ /^[0-9]+$/) {
        if (started + 0 <= not_after + 0) chosen = number
      } else if (dated != "" && dated <= at) {
        chosen = number
      }
    }
    END { print chosen }
  ' <<<"${listed}") || rc=$?
  if ((rc != 0)); then
    return "${rc}"
  fi
  if [[ -z ${revision} ]]; then
    revision=$("${baseline[@]}" <"${from}") || rc=$?
    if ((rc != 0)); then
      polyarchiv_say_why "${unreadable}"
      return "${rc}"
    fi
    revision=${revision//[[:space:]]/}
    if [[ ${revision} == 0 ]]; then
      polyarchiv_say_why "${none}"
      return 3
    fi
  fi
  polyarchiv_progress "  revision ${revision}"
  "${update[@]}" "--revision=${revision}" -- "${target}" <"${from}" || rc=$?
  if ((rc != 0)); then
    polyarchiv_say_why "${unreadable}"
  fi
  return "${rc}"
}

