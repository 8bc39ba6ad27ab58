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
		if (( ! (directive & 4) )); then
			__git_complete_index_file 2>/dev/null || COMPREPLY=($(compgen -f -- "$cur"))
		fi
		return
	fi
	local suffix=" "
	if (( directive & 2 )); then
		suffix=""
	fi
	__gitcomp_nl "$out" "" "$cur" "$suffix"
}
