// Package gitref is all of git dds's access to git: refs, commits, trees,
// the index, configuration, worktrees, history, merges, and a worktree
// overlay that gives the object ids the next commit would have.
//
// Behind its one API are three back ends, each where it pays, and a file
// name says which one a function uses:
//
//   - The git command (cli*.go; Open in repo.go, the team's file in
//     teamconfig.go). git is the reference for everything it answers, so
//     it answers whatever is asked once per command or needs git's own
//     algorithms: where the repository is (rev-parse, which honours
//     GIT_DIR and friends as a hook sets them), the configuration with all
//     its sources and includes (config --list), refs, worktrees, the stash
//     and history walks (Refs, WorktreeHeads, StashCommits, RevList), any
//     revision form other than an id or a ref name (Resolve), merges
//     (MergeTree), files whose attributes apply filters (hash-object), and
//     the indexes decodeIndex leaves to git (ls-files). Repo.Git runs any
//     other git command, for the callers that need one.
//
//   - go-git's storage layer (gogit*.go): loose objects, packs and refs
//     read in process, for what one command reads many times, where a
//     process per read would dominate: HEAD and branches, ids and ref
//     names (Resolve), commits, trees and blobs (CommitTree, TreeByID).
//     Only storage/filesystem and the plumbing packages are imported, and
//     the three object formats read are parsed in gogit_objects.go: go-git's
//     root and plumbing/object packages would link its network transports
//     and OpenPGP.
//
//   - gitref's own readers, for the working tree, which every status reads
//     whole: the index file (indexfile.go, several times faster than
//     go-git's decoder on a large index), stat data and blob ids of the
//     files on disk (overlay.go, hash.go, stat*.go), untracked files and
//     .gitignore (untracked.go, with go-git's pattern matcher), and
//     submodules (submodule.go), and root refs such as ORIG_HEAD that
//     hold one object id (rootref.go: a hook resolves ORIG_HEAD at every
//     merge and rebase).
package gitref
