
# Gives the entries of TREE the modes and, run as root, the owners that MANIFEST records: one
# NUL-terminated TYPE/MODE/UID:GID/PATH record per entry, sorted by path. The directories it lists
# that are missing (a checkout leaves out empty ones) are made first; directories get their modes
# last, the deepest first, so that one closed to its owner is filled before. Entries the tree does
# not hold, and a missing manifest (a commit made before manifests were), are left alone.
polyarchiv_apply_modes() {
  local manifest=$1 tree=$2
  local record kind mode owner path full i groups group name status=0
  # Bytes, not characters: in a UTF-8 locale, read -d '' runs past the NUL after a name that is not
  # UTF-8 and loses the next record.
  local LC_ALL=C
  local -a dirs=()
  if [[ ! -f ${manifest} ]]; then return 0; fi
  # Entries are gathered by kind, mode and owner, so that a tree of many files takes a chown and a
  # chmod per group, not per file. The lists go into the run's work directory, which a killed
  # run's next run removes, not beside it in TMPDIR, where nothing would.
  groups=$(mktemp -d -- "${polyarchiv_work}/modes.XXXXXX") || return
  while IFS= read -r -d '' record; do
    kind=${record%%/*}
    record=${record#*/}
    mode=${record%%/*}
    record=${record#*/}
    owner=${record%%/*}
    path=${record#*/}
    full="${tree}/${path}"
    if [[ ! ${mode} =~ ^[0-7]{3,4}$ || ! ${owner} =~ ^[0-9]+:[0-9]+$ ]]; then
      printf 'polyarchiv: %s: a record is not TYPE/MODE/UID:GID/PATH: %s\n' "${manifest}" "${kind}/${mode}/${owner}" >&2
      status=1
      break
    fi
    case ${kind} in
      d)
        if [[ ! -d ${full} ]]; then
          printf '%s\0' "${full}" >> "${groups}/.missing"
        fi
        # One its owner can enter and write does not stop what is set inside it: grouped. The
        # others are set last, the deepest first, so that each is filled before it is closed.
        if (((8#${mode} & 8#700) == 8#700)); then
          printf '%s\0' "${full}" >> "${groups}/d${mode}.${owner}"
        else
          dirs+=("${mode}" "${owner}" "${full}")
        fi
        ;;
      l)
        if ((EUID == 0)) && [[ -L ${full} ]]; then
          printf '%s\0' "${full}" >> "${groups}/l.${owner}"
        fi
        ;;
      *)
        if [[ -e ${full} && ! -L ${full} && ! -d ${full} ]]; then
          printf '%s\0' "${full}" >> "${groups}/f${mode}.${owner}"
        fi
        ;;
    esac
  done < "${manifest}"
  # Nothing changes before every record was read: a manifest that is not one changes nothing.
  if ((status == 0)) && [[ -e ${groups}/.missing ]]; then
    xargs -0 -r mkdir -p -- < "${groups}/.missing" || status=1
  fi
  if ((status == 0)); then
    for group in "${groups}"/*; do
      if [[ ! -e ${group} ]]; then continue; fi
      name=${group##*/}
      owner=${name#*.}
      kind=${name:0:1}
      mode=${name%%.*}
      mode=${mode:1}
      # Owner first: chown clears the set-user-ID and set-group-ID bits that chmod sets.
      if ((EUID == 0)); then
        if [[ ${kind} == l ]]; then
          xargs -0 -r chown -h -- "${owner}" < "${group}" || status=1
        else
          xargs -0 -r chown -- "${owner}" < "${group}" || status=1
        fi
      fi
      if [[ ${kind} != l ]]; then
        xargs -0 -r chmod -- "${mode}" < "${group}" || status=1
      fi
    done
  fi
  rm -rf -- "${groups}"
  if ((status != 0)); then return 1; fi
  for ((i = ${#dirs[@]} - 3; i >= 0; i -= 3)); do
    if ((EUID == 0)); then chown -- "${dirs[i + 1]}" "${dirs[i + 2]}" || return; fi
    chmod -- "${dirs[i]}" "${dirs[i + 2]}" || return
  done
}
