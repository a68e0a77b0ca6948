# shellcheck shell=bash

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

# The status of one user's mailboxes, `doveadm -f tab mailbox status` of '*', whose output it
# reads into polyarchiv_mailboxes. '*' lists existing mailboxes only, so a wiped user's INBOX is not
# created. Sets polyarchiv_doveadm_outcome: ok (a listed parent that does not exist as a mailbox,
# exit 68, is no failure), no-user (exit 67: dsync skips such users too) or failed (said why).
polyarchiv_mailbox_status() {
  local what=$1 errors out rc=0
  shift
  errors=$(mktemp -- "${polyarchiv_work}/doveadm.XXXXXX")
  out=$("$@" 2>"${errors}") || rc=$?
  case ${rc} in
    0 | 68)
      polyarchiv_doveadm_outcome=ok
      polyarchiv_mailbox_rows "${out}"
      ;;
    67) polyarchiv_doveadm_outcome=no-user ;;
    *)
      polyarchiv_doveadm_outcome=failed
      polyarchiv_say "  cannot read the state of ${what}:"
      cat -- "${errors}" >&2
      ;;
  esac
  rm -f -- "${errors}"
}

# Before doveadm backup -R makes the live mailboxes look like the copy COPY (one maildir per user,
# LAYOUT=fs): a live mailbox that received mail since the backup has a next UID ahead of the
# copy's, which dsync can only undo by deleting and recreating the mailbox, and INBOX cannot be
# deleted. So each mailbox present on both sides with the same GUID gets the live next UID in the
# copy when it is ahead (doveadm mailbox update --min-next-uid); dsync then expunges the new mail
# and keeps the backed-up messages. The modification sequence stays: a copy level with the live
# mailbox would look unchanged to dsync, which would leave the flags changed since the backup.
# Arguments: COPY SOCKET (the doveadm server's, or empty: the live mailboxes are local) N, the N
# words of the live side's doveadm with its global options, then those of the copy side's.
polyarchiv_dovecot_align() {
  local copy_dir=$1 socket=$2 count=$3 home user location name next guid copy_next copy_guid
  shift 3
  local -a live=("${@:1:count}") copy=("${@:count+1}") via=() at
  local -A polyarchiv_mailboxes live_boxes
  local polyarchiv_doveadm_outcome
  [[ -z ${socket} ]] || via=(-S "${socket}")
  for home in "${copy_dir}"/*/; do
    [[ -d ${home} ]] || continue
    home=${home%/} user=${home##*/}
    # doveadm expands % in settings: the copy's path is written with them doubled.
    location=${home//%/%%}
    at=("${copy[@]}" -o "mail_home=${location}" -o "mail_location=maildir:${location}:LAYOUT=fs")
    polyarchiv_mailbox_status "the live mailboxes of ${user}" "${live[@]}" -f tab mailbox status \
      "${via[@]}" -u "${user}" 'uidnext guid' '*'
    [[ ${polyarchiv_doveadm_outcome} != no-user ]] || continue
    [[ ${polyarchiv_doveadm_outcome} == ok ]] || return 1
    live_boxes=()
    for name in "${!polyarchiv_mailboxes[@]}"; do
      live_boxes[${name}]=${polyarchiv_mailboxes[${name}]}
    done
    polyarchiv_mailbox_status "the mail copy of ${user}" "${at[@]}" -f tab mailbox status \
      -u "${user}" 'uidnext guid' '*'
    [[ ${polyarchiv_doveadm_outcome} != no-user ]] || continue
    [[ ${polyarchiv_doveadm_outcome} == ok ]] || return 1
    for name in "${!polyarchiv_mailboxes[@]}"; do
      [[ -n ${live_boxes[${name}]+set} ]] || continue
      read -r next guid <<<"${live_boxes[${name}]}"
      read -r copy_next copy_guid <<<"${polyarchiv_mailboxes[${name}]}"
      # Another GUID is another mailbox, which dsync replaces anyway.
      if [[ ${copy_guid} == "${guid}" && ${next} =~ ^[0-9]+$ && ${copy_next} =~ ^[0-9]+$ ]] &&
        ((next > copy_next)); then
        "${at[@]}" mailbox update -u "${user}" --min-next-uid "${next}" "${name}" || return 1
      fi
    done
  done
}
