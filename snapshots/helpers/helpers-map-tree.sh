
# Makes the tree `to` hold, for each regular file of the tree `from`, what the command `tool`
# writes from it (given `--output FILE -- INPUT`), with the input's mode, modification time and,
# run as root, owner, and the same directories, symbolic links, named pipes, sockets and devices.
# A file whose output has the input's modification time and changed after the input did is not
# written again. Each new output is written in the holding directory `to/hold`, then renamed over
# the old one; the files are mapped last, several at a time (polyarchiv_map_files); what `from` no
# longer holds is removed once every file is written. `excludes` are find -path patterns left out
# of `from`. A failure of the tool names the file and returns the tool's status.
polyarchiv_map_tree() {
  local from=$1 to=$2 hold=$3
  shift 3
  local -a tool=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a excludes=("$@")
  local held="${to}/${hold}" entry meta path link kind mtime ctime mode owner had rc i mode_had owner_had
  local -A have=() seen=()
  local -a prune=(-name "${hold}") dirs=() files=()
  for entry in "${excludes[@]}"; do prune+=(-o -path "${entry}"); done
  rm -rf -- "${held}" || return
  mkdir -- "${held}" || return
  (cd -- "${to}" && find . -mindepth 1 -name "${hold}" -prune -o -printf '%y/%T@/%C@/%m/%U:%G/%P\0%l\0') > "${held}/to" || return
  (cd -- "${from}" && find . -mindepth 1 '(' "${prune[@]}" ')' -prune -o -printf '%y/%T@/%C@/%m/%U:%G/%P\0%l\0') > "${held}/from" || return
  while IFS= read -r -d '' entry && IFS= read -r -d '' link; do
    path=${entry#*/*/*/*/*/}
    have[${path}]="${entry:0:${#entry}-${#path}-1}/${link}"
  done < "${held}/to"
  while IFS= read -r -d '' entry && IFS= read -r -d '' link; do
    path=${entry#*/*/*/*/*/}
    meta=${entry:0:${#entry}-${#path}-1}
    IFS=/ read -r kind mtime ctime mode owner <<< "${meta}"
    seen[${path}]=1
    had=${have[${path}]-}
    case ${kind} in
      d)
        if [[ ${had} != d/* ]]; then
          rm -rf -- "${to:?}/${path}" || return
          mkdir -- "${to}/${path}" || return
          had=''
        fi
        dirs+=("${mode}" "${owner}" "${path}" "${had}")
        ;;
      l)
        if [[ ${had} != l/* || ${had#*/*/*/*/*/} != "${link}" ]]; then
          rm -rf -- "${to:?}/${path}" || return
          ln -s -- "${link}" "${to}/${path}" || return
        fi
        ;;
      f | p | s | b | c)
        # Unchanged: the output has the input's kind and modification time, and changed after it.
        if [[ ${had%%/*} == "${kind}" ]]; then
          local out_mtime out_ctime
          IFS=/ read -r _ out_mtime out_ctime _ <<< "${had}"
          if [[ ${out_mtime} == "${mtime}" ]] \
            && (( ${out_ctime%.*} > ${ctime%.*} || (${out_ctime%.*} == ${ctime%.*} && 10#${out_ctime#*.} >= 10#${ctime#*.}) )); then
            continue
          fi
        fi
        if [[ ${kind} == f ]]; then
          files+=("${path}" "${mode}" "${owner}" "${had%%/*}")
          continue
        fi
        # A named pipe, a socket or a device has no contents to map: it is copied as it is (its
        # mode, owner, times and device numbers), so that a restore through the tree has it.
        cp -a --no-dereference -- "${from}/${path}" "${held}/file" || return
        if [[ ${had} == d/* ]]; then rm -rf -- "${to:?}/${path}" || return; fi
        mv -f -T -- "${held}/file" "${to}/${path}" || return
        ;;
      *) ;;
    esac
  done < "${held}/from"
  rc=0
  # shellcheck disable=SC2310 # the status is read here, set -e need not apply inside
  polyarchiv_map_files "${files[@]}" || rc=$?
  if ((rc != 0)); then
    rm -rf -- "${held}"
    return "${rc}"
  fi
  for path in "${!have[@]}"; do
    if [[ -z ${seen[${path}]-} ]]; then rm -rf -- "${to:?}/${path}" || return; fi
  done
  # Directory modes last: a directory without write permission is filled first.
  for ((i = 0; i < ${#dirs[@]}; i += 4)); do
    IFS=/ read -r _ _ _ mode_had owner_had _ <<< "${dirs[i + 3]}"
    if (( EUID == 0 )) && [[ ${dirs[i + 1]} != "${owner_had}" ]]; then
      chown -- "${dirs[i + 1]}" "${to}/${dirs[i + 2]}" || return
    fi
    if [[ ${dirs[i]} != "${mode_had}" ]]; then chmod -- "${dirs[i]}" "${to}/${dirs[i + 2]}" || return; fi
  done
  rm -rf -- "${held}"
}

# The regular files of polyarchiv_map_tree to write again (PATH MODE OWNER KIND_IN_TO, four words
# each), up to one tool at a time per CPU: gpg spends nearly all its time per file deriving the key
# from the passphrase, one CPU's work. Each output is written in the holding directory under the
# file's number, then renamed over the old one as soon as it is complete. After a failure no other
# file is started; those running end, and the status of the first that failed is returned, its
# file named. In a subshell of its own, whose only children are the files' processes.
polyarchiv_map_files() {
  (
    local cpus failed=0 n=0 i rc
    local -a pids=()
    cpus=$(nproc) || exit
    while ((${#pids[@]} > 0 || (n * 4 < $# && failed == 0))); do
      if ((n * 4 < $# && failed == 0 && ${#pids[@]} < cpus)); then
        polyarchiv_map_file "${n}" "${@:n * 4 + 1:4}" &
        pids+=("$!")
        n=$((n + 1))
        continue
      fi
      # wait -n only waits: a job that ended before it was called may be reported by no wait -n,
      # while `wait PID` still gives its status.
      wait -n || true
      for i in "${!pids[@]}"; do
        if kill -0 "${pids[i]}" 2> /dev/null; then
          continue
        fi
        rc=0
        wait "${pids[i]}" || rc=$?
        unset 'pids[i]'
        if ((rc != 0 && failed == 0)); then failed=${rc}; fi
      done
    done
    exit "${failed}"
  )
}

# One file of polyarchiv_map_files: NUMBER PATH MODE OWNER KIND_IN_TO.
polyarchiv_map_file() {
  local file="${held}/$1" path=$2 mode=$3 owner=$4 rc=0
  "${tool[@]}" --output "${file}" -- "${from}/${path}" || rc=$?
  if ((rc != 0)); then
    polyarchiv_say "  ${tool[0]} failed on ${from}/${path}"
    return "${rc}"
  fi
  # Owner first: chown clears the set-user-ID and set-group-ID bits that chmod sets.
  if ((EUID == 0)); then chown -- "${owner}" "${file}" || return; fi
  chmod -- "${mode}" "${file}" || return
  touch -r "${from}/${path}" -- "${file}" || return
  if [[ $5 == d ]]; then rm -rf -- "${to:?}/${path}" || return; fi
  mv -f -T -- "${file}" "${to}/${path}"
}
