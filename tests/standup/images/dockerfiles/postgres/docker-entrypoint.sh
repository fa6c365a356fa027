#!/usr/bin/env bash
# The official postgres image's entrypoint contract, written for the stand-up's Debian image:
#  - `postgres …`, or flags alone, runs the server; any other command is exec'd untouched;
#  - started as root, it hands PGDATA and /var/run/postgresql to postgres and re-runs itself as
#    postgres (gosu); started as another user, it uses that user (nss_wrapper names it for initdb);
#  - an empty PGDATA (no PG_VERSION) is initialised: initdb as POSTGRES_USER (default postgres) with
#    POSTGRES_PASSWORD and POSTGRES_INITDB_ARGS (each also read from a *_FILE), a
#    `host all all all <method>` line in PGDATA/pg_hba.conf (POSTGRES_HOST_AUTH_METHOD, default the
#    server's password_encryption), then a socket-only server started with the container's own
#    arguments creates POSTGRES_DB and runs /docker-entrypoint-initdb.d/*, and stops;
#  - an initialised PGDATA is used as it is.
set -Eeo pipefail

# read_env_or_file NAME [DEFAULT]: NAME from the environment or from the file NAME_FILE names.
read_env_or_file() {
	local name="$1" file_name="${1}_FILE" value="${2:-}"
	if [ -n "${!name:-}" ] && [ -n "${!file_name:-}" ]; then
		echo "$0: both $name and $file_name are set; set one" >&2
		exit 1
	fi
	if [ -n "${!name:-}" ]; then
		value="${!name}"
	elif [ -n "${!file_name:-}" ]; then
		value="$(<"${!file_name}")"
	fi
	export "$name=$value"
	unset "$file_name"
}

# True when the server arguments only ask for help or a version (nothing to initialise).
asks_for_help() {
	local arg
	for arg; do
		case "$arg" in -'?' | --help | --describe-config | -V | --version) return 0 ;; esac
	done
	return 1
}

prepare_directories() {
	mkdir -p "$PGDATA"
	chmod 0700 "$PGDATA" || :
	mkdir -p /var/run/postgresql || :
	chmod 03775 /var/run/postgresql || :
	if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
		mkdir -p "$POSTGRES_INITDB_WALDIR"
		chmod 0700 "$POSTGRES_INITDB_WALDIR"
	fi
	if [ "$(id -u)" = 0 ]; then
		find "$PGDATA" /var/run/postgresql ${POSTGRES_INITDB_WALDIR:+"$POSTGRES_INITDB_WALDIR"} \! -user postgres -exec chown postgres '{}' +
	fi
}

run_initdb() {
	local uid gid wrapper
	uid="$(id -u)"
	if ! getent passwd "$uid" >/dev/null; then
		for wrapper in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do
			[ -s "$wrapper" ] || continue
			gid="$(id -g)"
			NSS_WRAPPER_PASSWD="$(mktemp)" NSS_WRAPPER_GROUP="$(mktemp)"
			export LD_PRELOAD="$wrapper" NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
			printf 'postgres:x:%s:%s:PostgreSQL:%s:/bin/false\n' "$uid" "$gid" "$PGDATA" >"$NSS_WRAPPER_PASSWD"
			printf 'postgres:x:%s:\n' "$gid" >"$NSS_WRAPPER_GROUP"
			break
		done
	fi
	local waldir=()
	[ -z "${POSTGRES_INITDB_WALDIR:-}" ] || waldir=(--waldir "$POSTGRES_INITDB_WALDIR")
	# POSTGRES_INITDB_ARGS is shell words (quotes allowed), as the official image reads it.
	eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"' "${waldir[@]}"'
	if [[ "${LD_PRELOAD:-}" == */libnss_wrapper.so ]]; then
		rm -f "$NSS_WRAPPER_PASSWD" "$NSS_WRAPPER_GROUP"
		unset LD_PRELOAD NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
	fi
}

sql() {
	PGHOST= PGHOSTADDR= psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc "$@"
}

initialise() {
	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		echo "$0: the database is not initialised and POSTGRES_PASSWORD is empty; set it (or POSTGRES_HOST_AUTH_METHOD=trust, not recommended)" >&2
		exit 1
	fi
	ls /docker-entrypoint-initdb.d/ >/dev/null
	run_initdb
	local server_args=("${@:2}") method
	method="$(postgres -C password_encryption "${server_args[@]}")"
	printf '\nhost all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-$method}" >>"$PGDATA/pg_hba.conf"

	export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
	PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -w start \
		-o "$(printf '%q ' "${server_args[@]}" -c listen_addresses='' -p "${PGPORT:-5432}")"
	if [ -z "$(sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")" ]; then
		sql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db"'
	fi
	local f
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
			*.sh) if [ -x "$f" ]; then echo "$0: running $f"; "$f"; else echo "$0: sourcing $f"; . "$f"; fi ;;
			*.sql) echo "$0: running $f"; sql --dbname "$POSTGRES_DB" -f "$f" ;;
			*.sql.gz) echo "$0: running $f"; gunzip -c "$f" | sql --dbname "$POSTGRES_DB" ;;
			*.sql.xz) echo "$0: running $f"; xzcat "$f" | sql --dbname "$POSTGRES_DB" ;;
			*.sql.zst) echo "$0: running $f"; zstd -dc "$f" | sql --dbname "$POSTGRES_DB" ;;
			*/\*) ;;
			*) echo "$0: ignoring $f" ;;
		esac
	done
	PGUSER="${PGUSER:-postgres}" pg_ctl -D "$PGDATA" -m fast -w stop
	unset PGPASSWORD
	echo "$0: PostgreSQL init process complete; ready for start up."
}

if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" = postgres ] && ! asks_for_help "$@"; then
	read_env_or_file POSTGRES_PASSWORD
	read_env_or_file POSTGRES_USER postgres
	read_env_or_file POSTGRES_DB "$POSTGRES_USER"
	read_env_or_file POSTGRES_INITDB_ARGS
	: "${POSTGRES_HOST_AUTH_METHOD:=}"
	prepare_directories
	if [ "$(id -u)" = 0 ]; then
		exec gosu postgres "$BASH_SOURCE" "$@"
	fi
	if [ -s "$PGDATA/PG_VERSION" ]; then
		echo "$0: PostgreSQL database directory appears to contain a database; skipping initialisation"
	else
		initialise "$@"
	fi
fi

exec "$@"
