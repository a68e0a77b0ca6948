
# Gives the entries of TREE the modes and, run as root, the owners that MANIFEST records: one
# NUL-terminated TYPE/MODE/UID:GID/PATH record per entry, sorted by path. The directories it lists
# that are missing (a checkout leaves out empty ones) are made first; directories get their modes
# last, the deepest first, so that one closed to its owner is filled before. Entries the tree does
# not hold, and a missing manifest (a commit made before manifests were), are left alone.
polyarchiv_apply_modes() {
  local manifest=$1 tree=$2
  local record kind mode owner path full i
  # Bytes, not characters: in a UTF-8 locale, read -d '' runs past the NUL after a name that is not
  # UTF-8 and loses the next record.
  local LC_ALL=C
  local -a dirs=()
  if [[ ! -f ${manifest} ]]; then return 0; fi
  while IFS= read -r -d '' record; do
    kind=${record%%/*}
    record=${record#*/}
    mode=${record%%/*}
    record=${record#*/}
    owner=${record%%/*}
    path=${record#*/}
    full="${tree}/${path}"
    case ${kind} in
      d)
        if [[ ! -d ${full} ]]; then mkdir -p -- "${full}" || return; fi
        dirs+=("${mode}" "${owner}" "${full}")
        ;;
      l)
        if (( EUID == 0 )) && [[ -L ${full} ]]; then chown -h -- "${owner}" "${full}" || return; fi
        ;;
      *)
        if [[ -e ${full} && ! -L ${full} && ! -d ${full} ]]; then
          # Owner first: chown clears the set-user-ID and set-group-ID bits that chmod sets.
          if (( EUID == 0 )); then chown -- "${owner}" "${full}" || return; fi
          chmod -- "${mode}" "${full}" || return
        fi
        ;;
    esac
  done < "${manifest}"
  for ((i = ${#dirs[@]} - 3; i >= 0; i -= 3)); do
    if (( EUID == 0 )); then chown -- "${dirs[i + 1]}" "${dirs[i + 2]}" || return; fi
    chmod -- "${dirs[i]}" "${dirs[i + 2]}" || return
  done
}
