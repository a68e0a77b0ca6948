
# This script replaces live data: polyarchiv_parse_args asks for --yes or a terminal.
polyarchiv_replaces_live_data=1
polyarchiv_arguments='--jobs N, -q, --yes and --log-file FILE'

# Says what the next steps replace, lists the changes (a dry run, when there is one: its first
# 200 lines, the others counted), then goes on with --yes or asks. A dry run
# that fails fails the helper with its status; with EXPLANATIONS (~TEXT MESSAGE), its error output
# is kept until it ends, shown, and the words of the first text it holds are said.
polyarchiv_confirm() {
  local warning=$1
  shift 1
  local -a explanations=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a preview=("$@")
  local answer='' counts more deletions max=200 shown=true rc=0 program
  # Under -q with --yes nobody is asked: what the question would show is a success's output.
  if [[ ${polyarchiv_quiet} == true ]] && ((polyarchiv_yes == 1)); then
    shown=false
    max=0
  fi
  if [[ ${shown} == true ]]; then
    polyarchiv_say "  ${warning}"
  fi
  if ((${#preview[@]} > 0)); then
    # shellcheck disable=SC2016 # awk's program: its $0 is awk's, not the shell's
    program='
      NR <= max { print | "cat 1>&2"; next }
      index($0, deletion) == 1 { deletions++ }
      END { printf "%d %d\n", (NR > max ? NR - max : 0), deletions + 0 }'
    if ((${#explanations[@]} == 0)); then
      counts=$("${preview[@]}" | awk -v max="${max}" -v deletion='*deleting ' "${program}")
    else
      counts=$("${preview[@]}" 2> "${polyarchiv_unit_file}.preview-errors" \
        | awk -v max="${max}" -v deletion='*deleting ' "${program}") || rc=$?
      polyarchiv_kept_errors_said "${rc}" "${polyarchiv_unit_file}.preview-errors" '' "${explanations[@]}"
      if ((rc != 0)); then
        return "${rc}"
      fi
    fi
    more=${counts%% *}
    deletions=${counts##* }
    if ((more > 0)) && [[ ${shown} == true ]]; then
      polyarchiv_say "  ... and ${more} more not listed (deletions among them: ${deletions})"
    fi
  fi
  if ((polyarchiv_yes == 1)); then
    return 0
  fi
  printf 'polyarchiv: go on? y/[N] ' >&2
  read -r answer || true
  if [[ ${answer} != [yY] ]]; then
    polyarchiv_say "  not confirmed: nothing was replaced"
    return 1
  fi
}

