# Sourced by .ci/run: starts the real servers that the cluster-mode tests
# need (a PostgreSQL and an S3-compatible object store), exports the
# environment variables that point the tests to them, and stops them when
# the calling script exits. Everything lives in one temporary directory.
#
#   BLINDJOIN_TEST_POSTGRES  postgres:// URL of an empty database
#   BLINDJOIN_TEST_S3        http:// URL of an S3-compatible server (versitygw),
#                            with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
#                            AWS_REGION set for it
#
# Tests that need a server skip with a message when its variable is unset,
# so `go test ./...` alone still runs everything else.

# Under /tmp, not $TMPDIR: the postgres user must reach it (a TMPDIR under
# a private home would not do), and the socket path must stay short.
services_dir=$(mktemp -d -p /tmp blindjoin-ci.XXXXXX)
chmod 711 "$services_dir" # the postgres user must reach its sub-directory
services_cleanup() {
	if [ -n "${pg_data:-}" ] && [ -f "$pg_data/postmaster.pid" ]; then
		as_pg pg_ctl -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [ -n "${s3_pid:-}" ]; then
		kill "$s3_pid" 2>/dev/null || true
		wait "$s3_pid" 2>/dev/null || true
	fi
	rm -rf "$services_dir"
}
trap services_cleanup EXIT

# free_port prints a loopback TCP port nothing listens on.
free_port() {
	local port
	for _ in $(seq 1 50); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"; return 0
		fi
	done
	echo "no free loopback port found" >&2; return 1
}

# PostgreSQL refuses to run as root; in a root container it runs as the
# postgres user the Debian package creates.
pg_user=""
if [ "$(id -u)" = 0 ]; then pg_user=postgres; fi
# as_pg runs a command as that user, from a directory it may enter.
as_pg() {
	if [ -n "$pg_user" ]; then (cd "$services_dir" && runuser -u "$pg_user" -- "$@"); else "$@"; fi
}

# pg_bin finds the PostgreSQL server binaries, installing the Debian
# package when they are missing.
pg_bin() {
	local dir
	if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
		dirname "$(command -v initdb)"; return 0
	fi
	dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	if [ -z "$dir" ]; then
		echo "PostgreSQL not found: installing the Debian package" >&2
		# Only the binaries: no default cluster started on port 5432.
		mkdir -p /etc/postgresql-common
		echo "create_main_cluster = false" >>/etc/postgresql-common/createcluster.conf
		apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
		dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
	fi
	echo "$dir"
}

start_postgres() {
	local bin port
	bin=$(pg_bin)
	export PATH="$bin:$PATH"
	port=$(free_port)
	mkdir -p "$services_dir/pg"
	pg_data="$services_dir/pg/data"
	if [ -n "$pg_user" ]; then chown "$pg_user" "$services_dir/pg"; fi
	# trust on loopback only, no fsync: a throw-away server for tests.
	as_pg initdb -A trust --no-sync -U blindjoin -D "$pg_data" >"$services_dir/pg/initdb.log"
	as_pg pg_ctl -D "$pg_data" -l "$services_dir/pg/server.log" -w \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $services_dir/pg -c fsync=off -c max_connections=200" start >/dev/null
	psql -q -h 127.0.0.1 -p "$port" -U blindjoin -d postgres -c 'CREATE DATABASE blindjoin_test' >/dev/null
	export BLINDJOIN_TEST_POSTGRES="postgres://blindjoin@127.0.0.1:$port/blindjoin_test?sslmode=disable"
	echo "PostgreSQL $(postgres --version | awk '{print $3}') on 127.0.0.1:$port"
}

# versitygw_version is the S3-compatible server the tests run against:
# Apache-2.0, one Go binary serving a directory (a sub-directory per
# bucket). The first build takes about 4 minutes; later runs reuse Go's
# build cache.
versitygw_version=v1.8.0

start_s3() {
	local port key secret
	echo "building versitygw $versitygw_version (minutes on a cold build cache)"
	GOFLAGS= GOBIN="$services_dir/bin" go install "github.com/versity/versitygw/cmd/versitygw@$versitygw_version"
	port=$(free_port)
	mkdir -p "$services_dir/s3"
	key=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	ROOT_ACCESS_KEY="$key" ROOT_SECRET_KEY="$secret" \
		"$services_dir/bin/versitygw" --port "127.0.0.1:$port" posix "$services_dir/s3" \
		>"$services_dir/versitygw.log" 2>&1 &
	s3_pid=$!
	for _ in $(seq 1 100); do
		kill -0 "$s3_pid" 2>/dev/null || break # it exited: say why below
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			export AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" AWS_REGION=us-east-1
			export BLINDJOIN_TEST_S3="http://127.0.0.1:$port"
			echo "versitygw $versitygw_version on 127.0.0.1:$port"
			return 0
		fi
		sleep 0.1
	done
	cat "$services_dir/versitygw.log" >&2
	echo "versitygw did not start" >&2; return 1
}
