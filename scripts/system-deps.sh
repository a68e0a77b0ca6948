#!/usr/bin/env bash
# Installs the Debian packages polyarchiv and its test suite use, when a tool is missing.
# Usage: scripts/system-deps.sh [runtime|test]   (default: test)
set -euo pipefail

# Tool (a command, or an absolute path for daemons outside PATH) -> Debian package.
declare -A package_of=(
  [rsync]=rsync
  [flock]=util-linux
  [mountpoint]=util-linux
  [script]=bsdutils
  [sha256sum]=coreutils
  [sync]=coreutils
  [find]=findutils
  [awk]=mawk
  [shellcheck]=shellcheck
  [git]=git
  [curl]=curl
  [openssl]=openssl
  [ps]=procps
  [sudo]=sudo
  [pg_dump]=postgresql-client
  [/usr/lib/postgresql/15/bin/postgres]=postgresql
  [mysqldump]=mariadb-client
  [/usr/sbin/mariadbd]=mariadb-server
  [/usr/sbin/slapd]=slapd
  [ldapsearch]=ldap-utils
  [doveadm]=dovecot-core
  [/usr/sbin/dovecot]=dovecot-core
  [/usr/lib/dovecot/imap]=dovecot-imapd
  [/usr/sbin/sshd]=openssh-server
  [ssh]=openssh-client
  [dash]=dash
  [setfattr]=attr
  [setfacl]=acl
  [/usr/bin/python3]=python3
  [/usr/lib/python3/dist-packages/requests]=python3-requests
  [/usr/lib/python3/dist-packages/pyftpdlib]=python3-pyftpdlib
  [/usr/lib/python3/dist-packages/OpenSSL]=python3-openssl
  [faketime]=faketime
  [strace]=strace
  [tar]=tar
  [gzip]=gzip
  [bzip2]=bzip2
  [xz]=xz-utils
  [zstd]=zstd
  [pigz]=pigz
  [igzip]=isal
  [lbzip2]=lbzip2
  [promtool]=prometheus
  [/usr/sbin/lighttpd]=lighttpd
  [/usr/lib/lighttpd/mod_webdav.so]=lighttpd-mod-webdav
  [/usr/lib/lighttpd/mod_openssl.so]=lighttpd-mod-openssl
  [systemd-analyze]=systemd
  [restic]=restic
  [rclone]=rclone
  [jq]=jq
  [svn]=subversion
  [svnadmin]=subversion
  [svnlook]=subversion
  [svnserve]=subversion
  [gpg]=gpg
  [gpgconf]=gpgconf
  [/usr/lib/python3/dist-packages/aiosmtpd]=python3-aiosmtpd
  [/usr/sbin/apache2]=apache2
  [/usr/lib/apache2/modules/mod_dav_svn.so]=libapache2-mod-svn
  [k5start]=kstart
  [/usr/sbin/krb5kdc]=krb5-kdc
  [/usr/sbin/kdb5_util]=krb5-kdc
  [/usr/sbin/kadmin.local]=krb5-admin-server
  [kinit]=krb5-user
  [klist]=krb5-user
)
runtime_tools=(rsync flock sha256sum sync find awk)
# The test suite starts real servers of its own: PostgreSQL, MariaDB, slapd, Dovecot, sshd, lighttpd
# (git's smart HTTP through git http-backend; WebDAV through mod_webdav, over https through
# mod_openssl), an FTP server
# (pyftpdlib, with pyOpenSSL for FTPS); curl asks the GitLab stand-in; it
# runs scripts under dash (the "needs bash" guard) and the original PolyArchiv (test/original), and
# sets extended attributes and ACLs to check that copies keep them; it packs and restores archives
# with every compressor (and igzip as the decompressor of .tar.gz), and the benchmark compares pigz
# with gzip. promtool validates the
# metrics of check --format prometheus, systemd-analyze the units of schedule --systemd. restic backs
# up to local, sftp: and rest: repositories, the last served by rclone serve restic; a script that
# restores a restic snapshot of a given time reads restic's list of snapshots with jq; rclone also
# carries the WebDAV, FTP and S3 targets' files. Subversion collect points commit to file://
# repositories, to svnserve and over https to Apache's mod_dav_svn; gpg encrypts and decrypts
# through the encrypt filter; aiosmtpd is the SMTP server of the email hook's tests, with a certificate from openssl;
# git backup points log in with keytabs through k5start against an MIT KDC of the suite's own
# (krb5kdc, its database made by kdb5_util, principals and keytabs by kadmin.local), whose tickets
# the tests read with klist and kinit.
test_tools=("${runtime_tools[@]}" shellcheck git curl openssl ps sudo pg_dump /usr/lib/postgresql/15/bin/postgres
  mysqldump /usr/sbin/mariadbd /usr/sbin/slapd ldapsearch doveadm /usr/sbin/dovecot /usr/lib/dovecot/imap
  /usr/sbin/sshd ssh dash setfattr setfacl /usr/bin/python3 /usr/lib/python3/dist-packages/requests
  /usr/lib/python3/dist-packages/pyftpdlib /usr/lib/python3/dist-packages/OpenSSL
  faketime strace mountpoint script tar gzip bzip2 xz zstd pigz igzip lbzip2 promtool /usr/sbin/lighttpd
  /usr/lib/lighttpd/mod_webdav.so /usr/lib/lighttpd/mod_openssl.so systemd-analyze restic rclone jq svn svnadmin svnlook svnserve gpg gpgconf
  /usr/lib/python3/dist-packages/aiosmtpd /usr/sbin/apache2 /usr/lib/apache2/modules/mod_dav_svn.so
  k5start /usr/sbin/krb5kdc /usr/sbin/kdb5_util /usr/sbin/kadmin.local kinit klist)

if [[ ${1:-test} == runtime ]]; then
  tools=("${runtime_tools[@]}")
else
  tools=("${test_tools[@]}")
fi

have() {
  if [[ $1 == *.so ]]; then
    [[ -f $1 ]]
  elif [[ $1 == /* ]]; then
    [[ -x $1 ]]
  else
    command -v "$1" >/dev/null 2>&1
  fi
}

missing=()
for tool in "${tools[@]}"; do
  if ! have "${tool}"; then
    missing+=("${package_of[${tool}]}")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "polyarchiv: missing Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "polyarchiv: installing Debian packages: ${missing[*]}" >&2
"${as_root[@]}" apt-get update -qq
# Packaged daemons must not start system-wide instances (the tests start their own): Debian's
# policy-rc.d hook refuses service starts while the packages install.
policy=/usr/sbin/policy-rc.d
if [[ ! -e ${policy} ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "${policy}" >/dev/null
  "${as_root[@]}" chmod 755 "${policy}"
  trap '"${as_root[@]}" rm -f "${policy}"' EXIT
fi
# Through env: sudo drops the caller's environment, and the Kerberos packages ask for a realm.
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
