package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// tutorialBlock is a shell block of docs/tutorial.md that a reader runs,
// marked `<!-- as: NAME -->` with the person who runs it.
var tutorialBlock = regexp.MustCompile("(?s)<!-- as: (\\w+) -->\n```sh\n(.*?)```")

// TestTutorial follows docs/tutorial.md as its readers would: each marked
// shell block runs, in order, in a bash of the person it names, with
// their own HOME, in the folder their previous block ended in and with
// the AWS variables it exported, against a MinIO server of the test's own.
// Only what a reader must change anyway is replaced: their credentials,
// the bucket (with the server's --endpoint), and the git server's address.
// Every block must succeed; once the teammate has started, a block that
// commits nothing must execute no stage: outputs come from the remote.
func TestTutorial(t *testing.T) {
	minio, err := minioPath()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v, and CI must run the tutorial against MinIO: make tools-minio installs it", err)
		}
		t.Skipf("%v: make tools-minio installs it", err)
	}
	doc, err := os.ReadFile("../docs/tutorial.md")
	if err != nil {
		t.Fatal(err)
	}
	s := newSandbox(t)
	server := &minioServer{
		bin:     minio,
		dataDir: s.path("minio-data"),
		logPath: s.path("minio.log"),
		home:    s.path("minio-home"),
		tmpDir:  s.path("minio-tmp"),
	}
	t.Cleanup(server.kill)
	if err := server.startOnFreePorts(); err != nil {
		t.Fatal(err)
	}
	if err := createBucket(newS3Client(server.endpoint())); err != nil {
		t.Fatalf("%v (MinIO's log: %s)", err, server.logTail())
	}
	gitServer := s.path("server/churn.git")
	s.must("", "git", "init", "-q", "--bare", gitServer)

	// What a reader replaces, and what the test puts there.
	replace := []string{
		"export AWS_ACCESS_KEY_ID=AKIA...  AWS_SECRET_ACCESS_KEY=...  AWS_REGION=eu-west-1",
		"export AWS_ACCESS_KEY_ID=" + minioUser + " AWS_SECRET_ACCESS_KEY=" + minioPassword + " AWS_REGION=" + minioRegion,
		"git dds init --remote s3://acme-data/churn\n",
		"git dds init --remote s3://" + minioBucket + "/churn --endpoint " + server.endpoint() + "\n",
		"git@github.com:acme/churn.git",
		gitServer,
	}
	for i := 0; i < len(replace); i += 2 {
		if !bytes.Contains(doc, []byte(replace[i])) {
			t.Fatalf("docs/tutorial.md no longer says %q, which the test replaces: update the test", replace[i])
		}
	}
	replacer := strings.NewReplacer(replace...)

	blocks := tutorialBlock.FindAllSubmatch(doc, -1)
	if len(blocks) < 2 {
		t.Fatalf("docs/tutorial.md has %d marked blocks", len(blocks))
	}
	teammateStarted := false
	var people []string
	for i, b := range blocks {
		who, code := string(b[1]), replacer.Replace(string(b[2]))
		home := s.path("people/" + who)
		if _, err := os.Stat(home); err != nil {
			s.write("people/"+who+"/.gitconfig", gitconfig)
			people = append(people, who)
		}
		if who != string(blocks[0][1]) {
			teammateStarted = true
		}
		// Each person's shell: their folder and AWS variables carry over
		// from one of their blocks to the next.
		script := "set -e\ncd \"$HOME\"\n" +
			"if [ -f .tutorial-state ]; then . ./.tutorial-state; fi\n" +
			code +
			"\n{ printf 'cd %q\\n' \"$(pwd)\"; export -p | grep ' AWS_' || true; } > \"$HOME/.tutorial-state\"\n"
		cmd := s.command("", "bash", "-c", script)
		cmd.Dir = home
		cmd.Env = append(append([]string{}, s.env...), "HOME="+home, "AWS_EC2_METADATA_DISABLED=true")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("block %d of docs/tutorial.md, as %s, failed (%v):\n%s\nstdout:\n%s\nstderr:\n%s", i+1, who, err, code, stdout.String(), stderr.String())
		}
		if teammateStarted && !strings.Contains(code, "git commit") && strings.Contains(stderr.String(), ": executing") {
			t.Errorf("block %d of docs/tutorial.md, as %s, executed a stage instead of getting it from the remote:\n%s\nstderr:\n%s", i+1, who, code, stderr.String())
		}
	}

	// Everyone ends with the same outputs.
	var first string
	for i, who := range people {
		data, err := os.ReadFile(filepath.Join(s.path("people/"+who), "churn", "out", "plans.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = string(data)
		} else if string(data) != first {
			t.Errorf("after the tutorial, %s's out/plans.txt is %q and %s's %q", people[0], first, who, data)
		}
	}
}
