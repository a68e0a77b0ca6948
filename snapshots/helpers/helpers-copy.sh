
# Sums a guarded copy's find listing (`find -printf '%y %s\n'`, on standard input) into the lines
# of rsync's --stats that polyarchiv_copy_stats reads: the entries and the top directory, the
# regular files, the bytes of regular files and of symbolic links.
polyarchiv_sum_listing() {
  awk "/^f/ { files++ } /^[fl]/ { bytes += \$2 } END { printf \"Number of files: %.0f (reg: %.0f)\\nTotal file size: %.0f bytes\\n\", NR + 1, files, bytes }"
}

# An rsync copy in place, judged before it changes anything. Arguments: PERCENT ALLOW WHAT KEY
# MEASURED UNREADABLE FILES BYTES INCOMING MAKE_DIR, then the command that counts the incoming side (an
# rsync dry run, or, when INCOMING is `listing`, a find listing, which polyarchiv_sum_listing sums),
# the target's dry run (no words when FILES and BYTES were recorded), and the copy in place. A copy
# that holds files and would become empty, or lose more than PERCENT% of its files or bytes, is
# refused unless ALLOW is yes. MAKE_DIR, when not empty, is made once the copy is judged (the
# directory where rsync holds updated files): a refused copy leaves its target as it was. A target that holds nothing gets the first copy: the copy without
# the words that hold updates back, where they first follow each other (withoutHolding's rule,
# under k5start too; a copy without them is its own first copy). With a
# KEY, the figures of the copy's own --stats are kept for the unit's state record; with MEASURED
# too (the target as du's --exclude pattern), its bytes count in the size the unit records, for
# which du leaves it out. UNREADABLE, when not empty, is what a copy that fails (not one its guard
# refused) says after the tool's lines and records as the step's failure: a restore's words for
# the copy it could not read. With EXPLANATIONS (~TEXT MESSAGE), the copy's error output is kept
# until it ends, shown, and the words of the first text it holds are said in place of UNREADABLE.
polyarchiv_copy() {
  local percent=$1 allow=$2 what=$3 key=$4 measured=$5 unreadable=$6 old_files=$7 old_bytes=$8 incoming_prints=$9 make_dir=${10}
  shift 10
  local -a explanations=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a incoming_run=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a target_run=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a copy_run=("$@")
  local out files bytes entry rc=0 at i
  local -a holding=(--delay-updates '--partial-dir=.~polyarchiv~')
  if ((${#target_run[@]} > 0)); then
    old_files=0 old_bytes=0
    # A target that cannot be measured is judged by nothing: the copy itself will say why.
    if out=$("${target_run[@]}" 2>&1); then
      polyarchiv_copy_stats "${out}"
      old_files=${polyarchiv_stats[0]} old_bytes=${polyarchiv_stats[1]}
      if ((polyarchiv_stats[2] <= 1)); then
        for ((at = 0; at + ${#holding[@]} <= ${#copy_run[@]}; at++)); do
          for ((i = 0; i < ${#holding[@]}; i++)); do
            [[ ${copy_run[at + i]} == "${holding[i]}" ]] || continue 2
          done
          copy_run=("${copy_run[@]:0:at}" "${copy_run[@]:at + ${#holding[@]}}")
          break
        done
      fi
    fi
  fi
  if ((old_files > 0)); then
    if [[ ${incoming_prints} != listing ]]; then
      out=$("${incoming_run[@]}" 2>&1) || rc=$?
    else
      # A listing that failed is told by its errors alone, not by the sum of what it listed.
      # shellcheck disable=SC2310 # one command, awk, whose status is the function's
      out=$({ "${incoming_run[@]}" | polyarchiv_sum_listing; } 2> "${polyarchiv_unit_file}.error") || rc=$?
      if ((rc != 0)); then
        out=$(<"${polyarchiv_unit_file}.error")
      fi
    fi
    if ((rc != 0)); then
      polyarchiv_say "  cannot measure what ${what} would receive:"
      printf '%s\n' "${out}" >&2 || true
      return 1
    fi
    polyarchiv_copy_stats "${out}"
    files=${polyarchiv_stats[0]} bytes=${polyarchiv_stats[1]}
    # shellcheck disable=SC2310 # the status is read here, set -e need not apply inside
    if ! polyarchiv_judge_shrink "${percent}" "${allow}" "${what}" "${old_files}" "${old_bytes}" "${files}" "${bytes}"; then
      return 1
    fi
  fi
  if [[ -n ${make_dir} ]]; then
    # shellcheck disable=SC2310 # its status is the function's
    polyarchiv_make_dir "${make_dir}" || return
  fi
  if ((${#explanations[@]} == 0)); then
    out=$("${copy_run[@]}") || rc=$?
  else
    out=$("${copy_run[@]}" 2> "${polyarchiv_unit_file}.copy-errors") || rc=$?
    polyarchiv_show_kept_errors "${polyarchiv_unit_file}.copy-errors"
    rm -f -- "${polyarchiv_unit_file}.copy-errors"
  fi
  # A copy of live data names what it left out because its name is reserved.
  polyarchiv_reserved_hidden "${out}"
  for entry in "${polyarchiv_reserved[@]}"; do
    polyarchiv_say "  warning: ${what} leaves out ${entry}: copies hold their updates in directories of that name; rename it to have it backed up, or delete it if an interrupted restore left it"
  done
  if ((rc != 0)); then
    if ((${#explanations[@]} == 0)); then
      polyarchiv_say_why "${unreadable}"
    else
      polyarchiv_explain_printed "${polyarchiv_kept_errors}" "${explanations[@]}"
      if [[ -z ${polyarchiv_printed_said} ]]; then
        polyarchiv_say_why "${unreadable}"
      fi
    fi
    return "${rc}"
  fi
  if [[ -n ${key} ]]; then
    polyarchiv_copy_stats "${out}"
    printf '%s:{"files":%s,"bytes":%s}\n' "${key}" "${polyarchiv_stats[0]}" "${polyarchiv_stats[1]}" \
      >> "${polyarchiv_unit_file}.copies"
    if [[ -n ${measured} ]]; then
      printf '%s\0%s\0' "${measured}" "${polyarchiv_stats[1]}" >> "${polyarchiv_unit_file}.measured"
    fi
  fi
}
