package cli

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// moduleVersion is the version of the main module, "(devel)" when built
// from a checkout that no tag names.
func moduleVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}

// version describes this binary from its build information: the module
// version, and the commit and its date when it was built in a git checkout
// (go build stamps them unless -buildvcs=false).
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	var details []string
	if rev := settings["vcs.revision"]; rev != "" {
		details = append(details, "commit "+rev)
	}
	if t := settings["vcs.time"]; t != "" {
		details = append(details, t)
	}
	if settings["vcs.modified"] == "true" {
		details = append(details, "with uncommitted changes")
	}
	details = append(details, info.GoVersion)
	return v + " (" + strings.Join(details, ", ") + ")"
}

func newVersionCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of git dds and the commit it was built from",
		Long: `git dds version prints the version of git dds: the module version, then
the commit it was built from and its date (with uncommitted changes, when
the checkout had some), and the Go version. git dds --version prints the
same.`,
		Example: `  git dds version`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(g.stdout, "%s version %s\n", cmd.Root().DisplayName(), cmd.Root().Version)
			return err
		},
	}
}
