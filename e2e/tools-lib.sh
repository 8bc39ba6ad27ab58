# Shared by the tools-*.sh scripts, which source it after setting
# tool_name (the script's name in messages) and tool_checks (what skips
# when a tool is missing).

# fail_or_warn reports a tool that cannot be had: the checks that need it
# skip, except in CI (CI=true), where the script fails instead.
fail_or_warn() {
	if [ "${CI:-}" = true ]; then
		echo "$tool_name: $1" >&2
		exit 1
	fi
	echo "$tool_name: $1; $tool_checks will skip" >&2
}

# apt_install installs the named Debian packages as root through apt-get,
# or says how to when it cannot; with no names it does nothing.
apt_install() {
	[ "$#" -gt 0 ] || return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "$tool_name: installing $* from Debian"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "$@" >/dev/null
	else
		fail_or_warn "$* missing; install them with: apt-get install $*"
	fi
}
