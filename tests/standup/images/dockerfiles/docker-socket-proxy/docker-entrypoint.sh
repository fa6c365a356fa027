#!/bin/sh
# tecnativa/docker-socket-proxy's entrypoint contract: render /tmp/haproxy.cfg (IPv4 only when
# DISABLE_IPV6 is 1/true/yes, else dual stack), and run `haproxy` in master-worker, foreground mode.
set -e
case "$(echo "${DISABLE_IPV6:-0}" | tr '[:upper:]' '[:lower:]')" in
	1 | true | yes) bind=":2375" ;;
	*) bind="[::]:2375 v4v6" ;;
esac
sed "s/@BIND@/$bind/" /usr/local/etc/haproxy/haproxy.cfg.template >/tmp/haproxy.cfg

if [ "${1#-}" != "$1" ]; then
	set -- haproxy "$@"
fi
if [ "$1" = haproxy ]; then
	shift
	set -- haproxy -W -db "$@"
fi
exec "$@"
