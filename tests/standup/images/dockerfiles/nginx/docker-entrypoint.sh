#!/bin/sh
# The official nginx image's entrypoint contract, written for the stand-up's Debian image: before
# `nginx` (or `nginx-debug`) starts, the files of /docker-entrypoint.d/ run in version order:
# executable *.sh files are run, executable *.envsh files are sourced, anything else is skipped.
set -e

log() {
	if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then echo "$@"; fi
}

if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
	if find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f -print -quit 2>/dev/null | grep -q .; then
		log "$0: /docker-entrypoint.d/ is not empty, will attempt to perform configuration"
		files="$(find /docker-entrypoint.d/ -follow -type f -print | sort -V)"
		# A redirected loop runs in this shell, so what an *.envsh exports reaches nginx.
		while IFS= read -r f; do
			case "$f" in
				*.envsh)
					if [ -x "$f" ]; then log "$0: Sourcing $f"; . "$f"; else log "$0: Ignoring $f, not executable"; fi ;;
				*.sh)
					if [ -x "$f" ]; then log "$0: Launching $f"; "$f" </dev/null; else log "$0: Ignoring $f, not executable"; fi ;;
				*) log "$0: Ignoring $f" ;;
			esac
		done <<EOF_FILES
$files
EOF_FILES
		log "$0: Configuration complete; ready for start up"
	else
		log "$0: No files found in /docker-entrypoint.d/, skipping configuration"
	fi
fi

exec "$@"
