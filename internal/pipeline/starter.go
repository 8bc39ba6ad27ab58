package pipeline

// Starter is the dds.yaml git dds init writes where there is none: one
// stage that runs as it is, and comments saying how to write the others.
const Starter = `# dds.yaml: the pipeline git dds runs (docs/dds-yaml.md in git dds's
# repository describes every key).
#
# Each stage is a command, the files it reads (deps) and the files it
# writes (outs). Its signature is a hash of its cmd, its deps, the params
# keys it names and the signatures of the stages it reads from: git dds run
# executes a stage only when its signature was never computed, here or in
# the remote, and otherwise puts the stored outputs in place.
#
# Outputs are git-ignored (in .git/info/exclude): commit this file and your
# code, never the outputs.

stages:
  # A stage that runs as it is: replace it with your own.
  hello:
    cmd: mkdir -p out && echo "hello from git dds" > out/hello.txt
    outs: [out/hello.txt]

  # A stage reading tracked files and another stage's output, and two keys
  # of a params file (only those keys count in its signature):
  #
  # train:
  #   cmd: python src/train.py out/hello.txt out/model.bin
  #   deps: [src/train.py, src/lib/, out/hello.txt]   # files or folders
  #   params: {params.yaml: [train.lr, train.epochs]}
  #   outs: [out/model.bin]
`
