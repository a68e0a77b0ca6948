
# Makes the Subversion working copy `working_copy` ready to commit, with `svn` (the executable and
# its global options): the entries `svn status` shows missing (!) are deleted, those whose kind
# changed (~, a file that became a directory...) are deleted but kept on disk, each list handed to
# svn in the file `targets` with every path ending in `@` (svn reads a name's last `@` as a peg
# revision otherwise); then every unversioned entry is added.
polyarchiv_svn_stage() {
  local working_copy=$1 targets=$2
  shift 2
  local -a svn=("$@")
  local listing line
  local -a missing=() replaced=()
  listing=$("${svn[@]}" status --ignore-externals -- "${working_copy}@") || return
  while IFS= read -r line; do
    case ${line:0:1} in
      '!') missing+=("${line:8}@") ;;
      '~') replaced+=("${line:8}@") ;;
      *) ;;
    esac
  done <<<"${listing}"
  if ((${#missing[@]} > 0)); then
    printf '%s\n' "${missing[@]}" >"${targets}"
    "${svn[@]}" delete --quiet --force --targets "${targets}" || return
  fi
  if ((${#replaced[@]} > 0)); then
    printf '%s\n' "${replaced[@]}" >"${targets}"
    "${svn[@]}" delete --quiet --force --keep-local --targets "${targets}" || return
  fi
  "${svn[@]}" add --quiet --force --depth=infinity -- "${working_copy}@"
}
