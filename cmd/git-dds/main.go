// Command git-dds versions data the way git versions code. git runs it as
// `git dds`.
package main

import "github.com/git-dds/git-dds/internal/cli"

func main() {
	cli.Main()
}
