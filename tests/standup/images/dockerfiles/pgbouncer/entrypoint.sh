#!/bin/sh
# edoburu/pgbouncer's entrypoint contract for a deployment that provides its own files, as the
# program does: the auth file exists (created empty if missing), pgbouncer.ini is used as it is,
# and the command is exec'd. The image's other mode, writing pgbouncer.ini and userlist entries
# from DATABASE_URL/DB_*/ADMIN_*/STATS_* variables, is not reproduced: such a variable stops the
# container with a message instead of being ignored.
set -e
config_dir=/etc/pgbouncer
auth_file="${AUTH_FILE:-$config_dir/userlist.txt}"

for name in DATABASE_URL DB_HOST DB_USER DB_PASSWORD DB_NAME ADMIN_USERS ADMIN_PASSWORD ADMIN_PASSWORDS STATS_USERS STATS_PASSWORDS; do
	if eval "[ -n \"\${$name:-}\" ]"; then
		echo "$0: $name is set, but this stand-up image does not generate PgBouncer's files from the environment; upload pgbouncer.ini and userlist.txt" >&2
		exit 1
	fi
done

[ -e "$auth_file" ] || touch "$auth_file"
if [ ! -f "$config_dir/pgbouncer.ini" ]; then
	echo "$0: $config_dir/pgbouncer.ini is missing; upload it" >&2
	exit 1
fi

exec "$@"
