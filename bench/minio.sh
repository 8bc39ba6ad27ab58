# shellcheck shell=bash
# A private MinIO server and rclone pointed at it, for the benchmarks that
# move data to and from a remote; sourced after lib.sh, not run.
#
# minio_start WORK checks for MinIO (.tools/bin/minio, make tools-minio; or
# MINIO) and rclone (Debian's package, installed as root when missing),
# isolates the AWS SDK and rclone from this machine's configuration, starts
# MinIO on a fresh data folder WORK/minio on a free port of 127.0.0.1, sets
# endpoint, and creates the bucket "bench". minio_stop kills it; the caller
# arranges for that on exit. Nothing is sent anywhere else: the AWS SDK in
# git dds reads no shared configuration and asks no metadata service, and
# no proxy is used. rclone is configured by environment variables alone, as
# the remote "minio".

minio_pid=

minio_start() {
	local work=$1
	minio=${MINIO:-$bench_root/.tools/bin/minio}
	if [ ! -x "$minio" ]; then
		echo "$minio is missing: make tools-minio builds it (or set MINIO)" >&2
		exit 1
	fi
	if ! command -v rclone >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "installing rclone..." >&2
		apt-get install -y -q rclone >&2 || { apt-get update -q >&2 && apt-get install -y -q rclone >&2; } || true
	fi
	command -v rclone >/dev/null || {
		echo "this benchmark needs rclone (Debian: apt-get install rclone)" >&2
		exit 1
	}

	# Loopback only: no proxy, no AWS configuration of this machine, no EC2
	# metadata lookup (169.254.169.254). The server speaks plain HTTP, so no CA
	# bundle either: rclone 1.60 fails on AWS_CA_BUNDLE ("unsupported transport").
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy \
		AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ENDPOINT_URL AWS_CA_BUNDLE
	export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
	export AWS_EC2_METADATA_DISABLED=true
	export AWS_CONFIG_FILE=$work/aws-absent/config
	export AWS_SHARED_CREDENTIALS_FILE=$work/aws-absent/credentials
	export AWS_ACCESS_KEY_ID=dds-bench-user
	export AWS_SECRET_ACCESS_KEY=dds-bench-password
	export AWS_REGION=us-east-1

	minio_dir=$work/minio
	local attempt port i
	for ((attempt = 0; attempt < 5; attempt++)); do
		rm -rf "$minio_dir"
		mkdir -p "$minio_dir/data" "$minio_dir/home" "$minio_dir/tmp"
		port=$((20000 + RANDOM % 40000))
		if ! minio_port_free "$port" || ! minio_port_free "$((port + 1))"; then
			continue
		fi
		# The console port is one MinIO insists on.
		env -i PATH=/usr/bin:/bin HOME="$minio_dir/home" TMPDIR="$minio_dir/tmp" \
			MINIO_ROOT_USER="$AWS_ACCESS_KEY_ID" MINIO_ROOT_PASSWORD="$AWS_SECRET_ACCESS_KEY" \
			MINIO_BROWSER=off MINIO_UPDATE=off \
			"$minio" server "$minio_dir/data" --quiet \
			--address "127.0.0.1:$port" --console-address "127.0.0.1:$((port + 1))" \
			>>"$work/minio.log" 2>&1 &
		minio_pid=$!
		endpoint=http://127.0.0.1:$port
		for ((i = 0; i < 300; i++)); do
			kill -0 "$minio_pid" 2>/dev/null || break
			if curl -sf --noproxy '*' -o /dev/null "$endpoint/minio/health/live" &&
				curl -sf --noproxy '*' -o /dev/null "$endpoint/minio/health/ready"; then
				echo "MinIO $("$minio" --version 2>/dev/null | head -n 1 | awk '{ print $3 }') on $endpoint (pid $minio_pid)" >&2
				export endpoint
				export RCLONE_CONFIG=/dev/null
				export RCLONE_CONFIG_MINIO_TYPE=s3
				export RCLONE_CONFIG_MINIO_PROVIDER=Minio
				export RCLONE_CONFIG_MINIO_ENDPOINT=$endpoint
				export RCLONE_CONFIG_MINIO_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
				export RCLONE_CONFIG_MINIO_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
				export RCLONE_CONFIG_MINIO_REGION=us-east-1
				rclone mkdir minio:bench
				return 0
			fi
			sleep 0.1
		done
		minio_stop
	done
	echo "MinIO did not start; its log, $work/minio.log, ends with:" >&2
	tail -n 20 "$work/minio.log" >&2
	exit 1
}

minio_stop() {
	if [ -n "$minio_pid" ]; then
		kill -9 "$minio_pid" 2>/dev/null || true
		wait "$minio_pid" 2>/dev/null || true
		minio_pid=
	fi
}

minio_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# minio_ticks prints the CPU time MinIO has used so far, in clock ticks.
minio_ticks() { awk '{ print $14 + $15 }' "/proc/$minio_pid/stat"; }
