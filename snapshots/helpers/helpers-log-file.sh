
# --log-file FILE: FILE is truncated, then receives everything the script prints, standard output
# and standard error, which still reach where they went; each line in FILE starts with the local
# time it was written. tee passes the output on as it comes (a question without a newline
# included), polyarchiv_log_lines stamps it into FILE; none of them stops on a signal, so that an
# interrupted run's last lines still reach FILE, nor when the reader of the output goes away (tee
# -p: FILE still receives everything). polyarchiv_log_close waits for them at the end.
declare -a polyarchiv_log_pids=()
polyarchiv_log_fd=''
polyarchiv_log_stdout=''
polyarchiv_log_stderr=''

# A copy's status would only tell that the output is gone: the run's own is what counts.
# shellcheck disable=SC2310,SC2312
polyarchiv_log_file() {
  local file=$1
  if ! { : > "${file}"; } 2> /dev/null; then
    printf 'polyarchiv: --log-file %s: cannot write to it\n' "${file}" >&2
    return 2
  fi
  exec {polyarchiv_log_stdout}>&1 {polyarchiv_log_stderr}>&2 \
    {polyarchiv_log_fd}> >(polyarchiv_log_lines >> "${file}" || true)
  polyarchiv_log_pids+=("$!")
  exec 1> >(polyarchiv_log_tee || true)
  polyarchiv_log_pids+=("$!")
  exec 2> >(polyarchiv_log_tee >&"${polyarchiv_log_stderr}" || true)
  polyarchiv_log_pids+=("$!")
}

# Passes its input on, and copies it to the stamping of the log file.
polyarchiv_log_tee() {
  trap '' INT TERM
  tee -p -- "/dev/fd/${polyarchiv_log_fd}"
}

# Each line of the input with the local time before it (2026-11-30T03:00:05+01:00); a last line
# without a newline stays without.
polyarchiv_log_lines() {
  local line stamp rc
  trap '' INT TERM
  while true; do
    rc=0
    IFS= read -r line || rc=$?
    if ((rc != 0)) && [[ -z ${line} ]]; then
      return 0
    fi
    printf -v stamp '%(%Y-%m-%dT%H:%M:%S%z)T' -1
    printf '%s:%s %s' "${stamp:0:-2}" "${stamp: -2}" "${line}"
    if ((rc != 0)); then
      return 0
    fi
    printf '\n'
  done
}

# Ends the log: the output goes back where it went, and the copies into FILE are waited for.
polyarchiv_log_close() {
  if ((${#polyarchiv_log_pids[@]} > 0)); then
    exec 1>&"${polyarchiv_log_stdout}" 2>&"${polyarchiv_log_stderr}"
    exec {polyarchiv_log_fd}>&- {polyarchiv_log_stdout}>&- {polyarchiv_log_stderr}>&-
    wait "${polyarchiv_log_pids[@]}" || true
    polyarchiv_log_pids=()
    polyarchiv_log_fd=''
  fi
}

# --log-file FILE or --log-file=FILE among the script's arguments: the log starts before anything
# else is printed; polyarchiv_parse_args then passes over it.
polyarchiv_log_from_args() {
  local file='' given=0
  while (($# > 0)); do
    case $1 in
      --log-file=*) file=${1#--log-file=} given=1 ;;
      --log-file)
        if (($# < 2)); then
          printf 'polyarchiv: --log-file expects a file\n' >&2
          exit 2
        fi
        file=$2 given=1
        shift
        ;;
      *) ;;
    esac
    shift
  done
  if ((given == 1)); then
    trap 'polyarchiv_log_close' EXIT
    # shellcheck disable=SC2310 # its status is read here
    polyarchiv_log_file "${file}" || exit 2
  fi
}
