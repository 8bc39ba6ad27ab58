# bash completion for git dds, through git's own completion.
#
# git's completion (git-completion.bash, which bash-completion loads for
# git) completes `git dds ...` by calling _git_dds, or, when no such
# function is defined, by loading a completion named git-dds first. This
# file defines _git_dds and nothing else: git's completion of git itself is
# left as it is. The words come from `git dds __completeNoDesc`, which reads
# the repository (stage names, outputs, branches, remotes).
#
#   source <(git dds completion bash)    # in ~/.bashrc, after git's completion
#   git dds completion bash > ~/.local/share/bash-completion/completions/git-dds

_git_dds ()
{
	# words, cword and cur are git's completion's; __git_cmd_idx is where
	# "dds" is among the words (after git's own options, such as -C).
	local first=$(( ${__git_cmd_idx:-1} + 1 ))
	local -a args=("${words[@]:first:cword-first}" "$cur")
	local out
	out=$(__git dds __completeNoDesc "${args[@]}") || return
	local directive=${out##*:}
	out=${out%:*}
	out=${out%$'\n'}
	[[ $directive =~ ^[0-9]+$ ]] || return
	# cobra's directives: 1 error, 2 no space, 4 no file completion,
	# 8 file extensions, 16 folders only.
	if (( directive & 1 )); then
		return
	fi
	if (( directive & 16 )); then
		COMPREPLY=($(compgen -d -- "$cur"))
		compopt -o filenames 2>/dev/null
		return
	fi
	if (( directive & 8 )); then
		local ext
		COMPREPLY=()
		while IFS= read -r ext; do
			[ -n "$ext" ] && COMPREPLY+=($(compgen -f -X "!*.$ext" -- "$cur"))
		done <<<"$out"
		COMPREPLY+=($(compgen -d -- "$cur"))
		compopt -o filenames 2>/dev/null
		return
	fi
	if [ -z "$out" ]; then
		if (( directive & 4 )); then
			# git's completion asks bash to fall back on file names
			# when nothing matches: not here.
			compopt +o default +o bashdefault 2>/dev/null
		else
			COMPREPLY=($(compgen -f -- "$cur"))
			compopt -o filenames 2>/dev/null
		fi
		return
	fi
	local suffix=" " prefix="" word=$cur
	if (( directive & 2 )); then
		suffix=""
	fi
	# --flag=value: the values complete after the "=".
	if [[ $cur == -*=* ]]; then
		prefix=${cur%%=*}=
		word=${cur#*=}
	fi
	__gitcomp_nl "$out" "$prefix" "$word" "$suffix"
	if [ ${#COMPREPLY[@]} -eq 0 ]; then
		compopt +o default +o bashdefault 2>/dev/null
	fi
}
