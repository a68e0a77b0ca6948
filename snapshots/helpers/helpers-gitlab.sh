
# Makes sure the GitLab project `project` exists before a push. Each request is a curl command that
# prints the HTTP status of its answer: `find` the project (found: done; missing: go on), then its
# `namespace` (answer in the file `answer`, whose first "id" is the namespace's), then `create`,
# which reads the namespace id from the file `namespace_id`. Any other answer is refused with a
# message that names the project and the status; a curl failure (server down) passes curl's status on.
polyarchiv_gitlab_project() {
  local project=$1 token_option=$2 answer=$3 namespace_id=$4
  shift 4
  local -a find=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a namespace=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a create=("$@")
  local code
  code=$("${find[@]}") || return
  case ${code} in
    200)
      polyarchiv_progress "  GitLab project ${project} exists"
      return 0
      ;;
    404) ;;
    *)
      polyarchiv_gitlab_refused "${project}" "${code}" 'the query of the project' "${token_option}"
      return 1
      ;;
  esac
  code=$("${namespace[@]}") || return
  local id=''
  if [[ ${code} == 200 && $(<"${answer}") =~ \"id\"[[:space:]]*:[[:space:]]*([0-9]+) ]]; then
    id=${BASH_REMATCH[1]}
  fi
  if [[ -z ${id} ]]; then
    polyarchiv_gitlab_refused "${project}" "${code}" "the query of the namespace ${project%/*}" "${token_option}"
    return 1
  fi
  printf '%s' "${id}" > "${namespace_id}"
  code=$("${create[@]}") || return
  if [[ ${code} != 201 ]]; then
    polyarchiv_gitlab_refused "${project}" "${code}" 'the creation of the project' "${token_option}"
    return 1
  fi
  polyarchiv_progress "  GitLab project ${project} created (private)"
}

polyarchiv_gitlab_refused() {
  local token_option=$4 why=''
  case $2 in
    401 | 403) why=": check the token of ${token_option}, and that its user may create projects there" ;;
    404) why=": no such namespace, or not visible to the user of the token of ${token_option}" ;;
    *) ;;
  esac
  polyarchiv_say "  GitLab answered HTTP $2 to $3 for project $1${why}"
}
