#!/bin/sh
# The official redis image's entrypoint contract, written for the stand-up's Debian image.
set -e

# A first argument that is a flag or a config file means "run redis-server with it".
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

# As root: hand the working folder (/data) to redis and re-run as redis.
if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
	find . \! -user redis -exec chown redis '{}' +
	exec gosu redis "$0" "$@"
fi

# Protected mode only guards a server reachable from outside; in a container the published ports
# decide that. A config file that sets protected-mode itself wins.
if [ "$1" = redis-server ]; then
	config=
	if [ -f "${2:-}" ]; then config="$2"; fi
	if [ -z "$config" ] || ! grep -q '^protected-mode' "$config"; then
		shift
		if [ -n "$config" ]; then shift; set -- "$config" --protected-mode no "$@"; else set -- --protected-mode no "$@"; fi
		set -- redis-server "$@"
	fi
fi

# Files Redis writes (RDB, AOF) readable by redis only, unless a umask was chosen already.
if [ "$(umask)" = 0022 ]; then
	umask 0077
fi

exec "$@"
