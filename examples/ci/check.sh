#!/usr/bin/env bash
# What CI runs on every change of this configuration directory (github-actions.yml, gitlab-ci.yml).
# Render backup.review.sh again after a change, from this directory, with the server's time zone:
#   TZ=Europe/Paris polyarchiv plan --review -C . --now 2026-01-01T03:00:00+01:00 --set fqdn=web1.example.org > backup.review.sh
set -euo pipefail
cd "$(dirname "$0")"
# Date variables and the plan time are read in the server's time zone.
export TZ=Europe/Paris
polyarchiv validate -C .
# Exit 1 with a unified diff when the committed render no longer matches the configuration.
polyarchiv plan --check backup.review.sh
shellcheck --enable=all --shell=bash backup.review.sh
