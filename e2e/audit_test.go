package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestAuditStrace runs the audit scripts, which TestScript runs with the
// default back end (the built-in tracer where it works), again with the
// strace back end, chosen in the scripts' global git config: both must
// classify the same reads the same way. `[tracer:strace]` is true in this
// run only.
func TestAuditStrace(t *testing.T) {
	files, err := filepath.Glob("testdata/audit*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no audit script in testdata (%v)", err)
	}
	testscript.Run(t, testscript.Params{
		Files: files,
		Setup: func(env *testscript.Env) error {
			if err := hermeticGit(env); err != nil {
				return err
			}
			f, err := os.OpenFile(filepath.Join(env.Getenv("HOME"), ".gitconfig"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			if _, err := f.WriteString("[dds]\n\tauditTracer = strace\n"); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		},
		Cmds:                scriptCommands(),
		Condition:           tracerCondition("strace"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *update,
	})
}

// tracerCondition adds `[tracer:NAME]`, true for the back end the run
// chose (auto when the scripts leave it to git dds), to the tool
// conditions.
func tracerCondition(tracer string) func(string) (bool, error) {
	return func(cond string) (bool, error) {
		switch cond {
		case "tracer:strace", "tracer:auto":
			return cond == "tracer:"+tracer, nil
		}
		return toolCondition(cond)
	}
}
