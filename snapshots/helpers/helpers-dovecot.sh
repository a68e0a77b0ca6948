
# Reads `doveadm -f tab mailbox status 'uidnext guid'` (a header line, then one line per mailbox:
# NAME NEXT GUID, tab-separated, the name first, so it is read from the right) into
# polyarchiv_mailboxes[NAME]='NEXT GUID'.
polyarchiv_mailbox_rows() {
  local rows line next guid
  polyarchiv_mailboxes=()
  [[ $1 == *$'\n'* ]] || return 0
  rows=${1#*$'\n'}
  while IFS= read -r line; do
    guid=${line##*$'\t'} line=${line%$'\t'*}
    next=${line##*$'\t'} line=${line%$'\t'*}
    [[ -z ${line} ]] || polyarchiv_mailboxes[${line}]="${next} ${guid}"
  done <<<"${rows}"
}

# Runs a doveadm command that reads WHAT, its output in polyarchiv_doveadm_out, and sets
# polyarchiv_doveadm_outcome: ok (also exit 68: a mailbox listed by '*' that does not exist, such
# as a parent), no-user (exit 67: dsync skips such users too) or failed (said why).
polyarchiv_doveadm_read() {
  local what=$1 errors rc=0
  shift
  errors=$(mktemp -- "${polyarchiv_work}/doveadm.XXXXXX")
  polyarchiv_doveadm_out=$("$@" 2>"${errors}") || rc=$?
  case ${rc} in
    0 | 68) polyarchiv_doveadm_outcome=ok ;;
    67) polyarchiv_doveadm_outcome=no-user ;;
    *)
      polyarchiv_doveadm_outcome=failed
      polyarchiv_say "  cannot read ${what}:"
      cat -- "${errors}" >&2 || true
      ;;
  esac
  rm -f -- "${errors}"
}

# The messages of a mailbox of the copy that the live mailbox no longer holds, from two `doveadm
# search` outputs (one "GUID UID" line per message, by UID): COPY, every message of the copy, and
# LIVE, the live messages under the copy's UIDs. Sets polyarchiv_lost_sets to doveadm UID sets
# (3:5,9) of at most about 4000 characters each, so that no argument nears the kernel's limit. A
# range never spans a message still live: a range names every message of the copy within it.
polyarchiv_lost_uids() {
  local uid first='' last='' set=''
  local -A live_uids=()
  polyarchiv_lost_sets=()
  while read -r _ uid; do
    [[ -z ${uid} ]] || live_uids[${uid}]=1
  done <<<"$2"
  while read -r _ uid; do
    [[ -n ${uid} ]] || continue
    if [[ -z ${live_uids[${uid}]+set} ]]; then
      [[ -n ${first} ]] || first=${uid}
      last=${uid}
      continue
    fi
    [[ -n ${first} ]] || continue
    polyarchiv_uid_range "${first}" "${last}"
    first=''
  done <<<"$1"
  [[ -z ${first} ]] || polyarchiv_uid_range "${first}" "${last}"
  [[ -z ${set} ]] || polyarchiv_lost_sets+=("${set}")
}

# Adds FIRST:LAST to the set being built by polyarchiv_lost_uids, starting a new one past 4000 characters.
polyarchiv_uid_range() {
  local range=$1
  [[ $1 == "$2" ]] || range+=":$2"
  if ((${#set} > 4000)); then
    polyarchiv_lost_sets+=("${set}")
    set=''
  fi
  set+=${set:+,}${range}
}

# Of polyarchiv_dovecot_align (its locals): sets held when the copy holds MAILBOX for one of the
# users it selects that Dovecot knows (and when it holds none of them, which the alignment refuses
# as such); polyarchiv_doveadm_outcome says whether a read failed.
polyarchiv_copy_holds_mailbox() {
  local home user location known=0
  held=
  polyarchiv_doveadm_outcome=ok
  for home in "${copy_dir}"/*/; do
    [[ -d ${home} ]] || continue
    home=${home%/} user=${home##*/}
    # shellcheck disable=SC2053 # MASK is a pattern, its literal characters escaped
    [[ -z ${mask} || ${user,,} == ${mask} ]] || continue
    location=${home//%/%%}
    polyarchiv_doveadm_read "the mailboxes of the mail copy of ${user}" "${copy[@]}" -o "mail_home=${location}" \
      -o "mail_location=maildir:${location}:LAYOUT=fs" -f tab mailbox status -u "${user}" 'uidnext guid' '*'
    [[ ${polyarchiv_doveadm_outcome} != failed ]] || return 0
    [[ ${polyarchiv_doveadm_outcome} == ok ]] || continue
    known=$((known + 1))
    polyarchiv_mailbox_rows "${polyarchiv_doveadm_out}"
    if [[ -n ${polyarchiv_mailboxes[${mailbox}]+set} ]]; then
      held=1
      return 0
    fi
  done
  ((known > 0)) || held=1
}

# Before doveadm backup -R makes the live mailboxes look like the copy COPY (one maildir per user,
# LAYOUT=fs). dsync can only give a mailbox a message under a UID below its next UID by deleting
# and recreating the mailbox, which Dovecot refuses for INBOX (and which takes another run for the
# others). So each mailbox with the same GUID on both sides is prepared in the copy:
# - a live next UID ahead of the copy's (mail received since the backup) is given to the copy
#   (doveadm mailbox update --min-next-uid), so that dsync expunges the new mail;
# - the copy's messages that the live mailbox lost since the backup (expunged) are copied within
#   the copy, where they get UIDs at or above the live next UID, and their old UIDs expunged, so
#   that dsync adds them back. The messages still live keep their UIDs and are not copied again.
# The collect point's copy keeps the same messages, flags and mailboxes, under these UIDs. Its
# modification sequence stays: a copy level with the live mailbox would look unchanged to dsync,
# which would leave the flags changed since the backup. Mailboxes are listed with mailbox status
# of '*', which creates nothing (not even a wiped user's INBOX). The users restored next are
# written to USERS, one a line: those of the copy that match MASK (a bash pattern, lowercase;
# empty: all) and that Dovecot knows, never a live user the copy does not hold, whose mail dsync
# would delete. With MAILBOX (the only mailbox restored), a copy that holds it for none of those
# users is refused first, before anything changes (status 3, saying LACKING); a copy that holds
# no such user fails with status 2 (saying SELECTS). Arguments (its contract's): COPY_DIR, SOCKET
# (the doveadm server's, or empty: the live mailboxes are local), USERS, MASK, MAILBOX, SELECTS,
# LACKING, the live side's doveadm with its global options (counted), then the copy side's.
polyarchiv_dovecot_align() {
  local copy_dir=$1 socket=$2 users=$3 mask=$4 mailbox=$5 selects=$6 lacking=$7
  shift 7
  local -a live=("${@:2:$1}")
  shift "$(($1 + 1))"
  local -a copy=("$@")
  local home user location name next guid copy_next copy_guid copy_uids set live_outcome restored=0 held
  local -a via=() at polyarchiv_lost_sets
  local -A polyarchiv_mailboxes live_boxes
  local polyarchiv_doveadm_out polyarchiv_doveadm_outcome
  [[ -z ${socket} ]] || via=(-S "${socket}")
  : >"${users}"
  if [[ -n ${mailbox} ]]; then
    polyarchiv_copy_holds_mailbox
    [[ ${polyarchiv_doveadm_outcome} != failed ]] || return 1
    if [[ -z ${held} ]]; then
      polyarchiv_say_why "the copy ${copy_dir} holds ${lacking}: nothing was changed"
      return 3
    fi
  fi
  for home in "${copy_dir}"/*/; do
    [[ -d ${home} ]] || continue
    home=${home%/} user=${home##*/}
    # shellcheck disable=SC2053 # MASK is a pattern, its literal characters escaped
    [[ -z ${mask} || ${user,,} == ${mask} ]] || continue
    # doveadm expands % in settings: the copy's path is written with them doubled.
    location=${home//%/%%}
    at=("${copy[@]}" -o "mail_home=${location}" -o "mail_location=maildir:${location}:LAYOUT=fs")
    polyarchiv_doveadm_read "the state of the live mailboxes of ${user}" "${live[@]}" -f tab mailbox \
      status "${via[@]}" -u "${user}" 'uidnext guid' '*'
    [[ ${polyarchiv_doveadm_outcome} != failed ]] || return 1
    live_outcome=${polyarchiv_doveadm_outcome}
    polyarchiv_mailbox_rows "${polyarchiv_doveadm_out}"
    live_boxes=()
    for name in "${!polyarchiv_mailboxes[@]}"; do
      live_boxes[${name}]=${polyarchiv_mailboxes[${name}]}
    done
    polyarchiv_doveadm_read "the state of the mail copy of ${user}" "${at[@]}" -f tab mailbox status \
      -u "${user}" 'uidnext guid' '*'
    [[ ${polyarchiv_doveadm_outcome} != failed ]] || return 1
    # Unknown to the userdb: dsync could not restore them. Said, as a copy left out is not nothing.
    if [[ ${live_outcome} == no-user || ${polyarchiv_doveadm_outcome} == no-user ]]; then
      polyarchiv_say "  warning: the copy holds the mail of ${user}, whom Dovecot does not know: not restored"
      continue
    fi
    printf '%s\n' "${user}" >>"${users}"
    restored=$((restored + 1))
    polyarchiv_mailbox_rows "${polyarchiv_doveadm_out}"
    for name in "${!polyarchiv_mailboxes[@]}"; do
      [[ -n ${live_boxes[${name}]+set} ]] || continue
      read -r next guid <<<"${live_boxes[${name}]}"
      read -r copy_next copy_guid <<<"${polyarchiv_mailboxes[${name}]}"
      # Another GUID is another mailbox, which dsync replaces anyway.
      [[ ${copy_guid} == "${guid}" && ${next} =~ ^[0-9]+$ && ${copy_next} =~ ^[0-9]+$ ]] || continue
      if ((next > copy_next)); then
        "${at[@]}" mailbox update -u "${user}" --min-next-uid "${next}" "${name}" || return 1
      fi
      ((copy_next > 1)) || continue
      polyarchiv_doveadm_read "the messages of the mail copy of ${user} in ${name}" "${at[@]}" search \
        -u "${user}" mailbox-guid "${guid}" all
      [[ ${polyarchiv_doveadm_outcome} == ok ]] || return 1
      copy_uids=${polyarchiv_doveadm_out}
      polyarchiv_doveadm_read "the live messages of ${user} in ${name}" "${live[@]}" search \
        "${via[@]}" -u "${user}" mailbox-guid "${guid}" uid "1:$((copy_next - 1))"
      [[ ${polyarchiv_doveadm_outcome} == ok ]] || return 1
      polyarchiv_lost_uids "${copy_uids}" "${polyarchiv_doveadm_out}"
      for set in "${polyarchiv_lost_sets[@]}"; do
        "${at[@]}" copy -u "${user}" "${name}" mailbox-guid "${guid}" uid "${set}" || return 1
        "${at[@]}" expunge -u "${user}" mailbox-guid "${guid}" uid "${set}" || return 1
      done
    done
  done
  ((restored > 0)) && return 0
  polyarchiv_say_why "${copy_dir} holds the mail of no user that Dovecot knows and ${selects} selects: nothing was changed"
  return 2
}
