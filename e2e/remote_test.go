package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/rogpeppe/go-internal/testscript"
)

// defaultMinio is where `make tools-minio` (e2e/tools-minio.sh) installs
// the pinned MinIO, from the package's folder; DDS_MINIO overrides it.
const defaultMinio = "../.tools/bin/minio"

// The script's MinIO credentials and bucket. They are fixed: each script
// has a server of its own, reachable only on 127.0.0.1.
const (
	minioUser     = "dds-e2e-user"
	minioPassword = "dds-e2e-password"
	minioRegion   = "us-east-1"
	minioBucket   = "dds"
	// minioPrefix is where the scripts' remote lives in the bucket: the
	// product must honour a prefix, so the scripts never use the root.
	minioPrefix = "team/"
)

const (
	// minioStartTimeout bounds a start, process to ready; a start takes
	// about half a second.
	minioStartTimeout = 30 * time.Second
	// remoteTimeout bounds one remote-* command's requests.
	remoteTimeout = time.Minute
)

// Keys of testscript's per-script values: the script's remote and, in the
// s3 run, its MinIO server.
type (
	remoteKey struct{}
	minioKey  struct{}
)

// TestRemote runs the remote scripts, testdata/remote/*.txtar, twice:
// against a real MinIO server on 127.0.0.1 (TestRemote/s3/NAME) and against
// a plain folder (TestRemote/file/NAME), so that both kinds of remote the
// product speaks to pass the same scripts.
func TestRemote(t *testing.T) {
	for _, backend := range []string{"s3", "file"} {
		t.Run(backend, func(t *testing.T) {
			var setup func(*testscript.Env) error
			switch backend {
			case "s3":
				minio, err := minioPath()
				if err != nil {
					if os.Getenv("CI") == "true" {
						t.Fatalf("%v, and CI must run the remote scripts against MinIO: make tools-minio installs it", err)
					}
					t.Skipf("%v: make tools-minio installs it", err)
				}
				setup = func(env *testscript.Env) error { return setupS3(env, minio) }
			case "file":
				setup = setupFile
			}
			testscript.Run(t, testscript.Params{
				Dir: "testdata/remote",
				Setup: func(env *testscript.Env) error {
					if err := hermeticGit(env); err != nil {
						return err
					}
					hermeticAWS(env)
					env.Setenv("DDS_BACKEND", backend)
					return setup(env)
				},
				Cmds:                remoteScriptCommands(),
				Condition:           remoteCondition(backend),
				RequireExplicitExec: true,
				RequireUniqueNames:  true,
				UpdateScripts:       *update,
			})
		})
	}
}

// minioPath is the MinIO binary: $DDS_MINIO, which make sets, or the one
// make tools-minio installs, so that a bare go test finds it too.
func minioPath() (string, error) {
	path := os.Getenv("DDS_MINIO")
	if path == "" {
		path = defaultMinio
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("locating the MinIO binary %s: %w", path, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("the MinIO binary %s is missing", abs)
	}
	if info.IsDir() || info.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("the MinIO binary %s is not an executable file", abs)
	}
	return abs, nil
}

// remoteCondition adds `[s3]`, true only in the MinIO run, to the tool
// conditions of the other scripts.
func remoteCondition(backend string) func(string) (bool, error) {
	return func(cond string) (bool, error) {
		if cond == "s3" {
			return backend == "s3", nil
		}
		return toolCondition(cond)
	}
}

// hermeticAWS keeps the AWS SDK in git dds, in both runs, from reading the
// machine's configuration or reaching past 127.0.0.1: no shared config or
// credentials files (these paths do not exist), no profile, and no EC2
// metadata lookup, which would go to 169.254.169.254. testscript starts
// from an empty environment, so no AWS_* of the host is there to start with.
func hermeticAWS(env *testscript.Env) {
	env.Vars = slices.DeleteFunc(env.Vars, func(kv string) bool {
		return strings.HasPrefix(kv, "AWS_PROFILE=") || strings.HasPrefix(kv, "AWS_DEFAULT_PROFILE=")
	})
	absent := filepath.Join(env.WorkDir, "aws-absent")
	env.Setenv("AWS_CONFIG_FILE", filepath.Join(absent, "config"))
	env.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(absent, "credentials"))
	env.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// setupFile gives the script a folder remote, an empty folder made as a
// user makes one: git dds refuses a folder that does not exist, except for
// a push (testdata/remote_folder_missing.txtar).
func setupFile(env *testscript.Env) error {
	root := filepath.Join(env.WorkDir, "remote-store")
	if err := os.Mkdir(root, 0o755); err != nil {
		return err
	}
	env.Setenv("DDS_REMOTE_URL", "file://"+filepath.ToSlash(root))
	env.Setenv("DDS_REMOTE_ENDPOINT", "")
	env.Values[remoteKey{}] = dirRemote{root: root}
	return nil
}

// setupS3 starts the script's own MinIO server, with an empty bucket, and
// gives the script its address and credentials. Each script has its own
// server because scripts run in parallel and one stops and restarts it.
func setupS3(env *testscript.Env, bin string) error {
	server := &minioServer{
		bin:     bin,
		dataDir: filepath.Join(env.WorkDir, "minio-data"),
		logPath: filepath.Join(env.WorkDir, "minio.log"),
		home:    filepath.Join(env.WorkDir, "minio-home"),
		tmpDir:  filepath.Join(env.WorkDir, ".tmp"),
	}
	env.Defer(server.kill)
	began := time.Now()
	if err := server.startOnFreePorts(); err != nil {
		return err
	}
	env.T().Log(fmt.Sprintf("MinIO is ready on %s after %s", server.endpoint(), time.Since(began).Round(time.Millisecond)))
	client := newS3Client(server.endpoint())
	if err := createBucket(client); err != nil {
		return fmt.Errorf("%w (MinIO's log: %s)", err, server.logTail())
	}
	env.Values[minioKey{}] = server
	env.Values[countingKey{}] = &countingProxy{}
	env.Values[remoteKey{}] = s3Remote{client: client, bucket: minioBucket, prefix: minioPrefix}

	env.Setenv("DDS_REMOTE_URL", "s3://"+minioBucket+"/"+strings.TrimSuffix(minioPrefix, "/"))
	env.Setenv("DDS_REMOTE_ENDPOINT", server.endpoint())
	env.Setenv("AWS_ACCESS_KEY_ID", minioUser)
	env.Setenv("AWS_SECRET_ACCESS_KEY", minioPassword)
	env.Setenv("AWS_REGION", minioRegion)
	return nil
}

// minioServer is one script's MinIO: a single drive in dataDir, on
// 127.0.0.1:port, stopped and restarted on the same port by `minio`.
type minioServer struct {
	bin, dataDir, logPath, home, tmpDir string
	port, consolePort                   int

	cmd *exec.Cmd
	// exited is closed once cmd has ended and been waited for.
	exited chan struct{}
}

func (m *minioServer) endpoint() string {
	return "http://127.0.0.1:" + strconv.Itoa(m.port)
}

// startOnFreePorts picks two free ports and starts there. Another process
// can take a port between the pick and MinIO's listen; the server then
// exits, and a few fresh picks get past that.
func (m *minioServer) startOnFreePorts() error {
	var err error
	for range 3 {
		if m.port, m.consolePort, err = freePorts(); err != nil {
			return err
		}
		if err = m.start(); err == nil {
			return nil
		}
	}
	return err
}

// freePorts returns two distinct ports that were free on 127.0.0.1: both
// are held open until both are picked, so they cannot be the same.
func freePorts() (int, int, error) {
	var ports [2]int
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, 0, fmt.Errorf("finding a free port on 127.0.0.1 for MinIO: %w", err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports[0], ports[1], nil
}

// start runs the server on m's ports and waits until it serves requests.
func (m *minioServer) start() error {
	if m.running() {
		return fmt.Errorf("MinIO is already running on %s; `minio stop` first", m.endpoint())
	}
	for _, dir := range []string{m.dataDir, m.home} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("making MinIO's folder: %w", err)
		}
	}
	// Appending keeps the log of every start of the script in one file.
	log, err := os.OpenFile(m.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening MinIO's log: %w", err)
	}
	defer log.Close()
	fmt.Fprintf(log, "=== e2e: starting MinIO on %s\n", m.endpoint())

	cmd := exec.Command(m.bin, "server", m.dataDir,
		"--address", "127.0.0.1:"+strconv.Itoa(m.port),
		"--console-address", "127.0.0.1:"+strconv.Itoa(m.consolePort))
	// Only what the server needs: no MINIO_* of the host can reconfigure
	// it, its HOME (where it keeps certificates) is the script's, and it
	// neither serves a console nor checks for updates over the network.
	cmd.Env = []string{
		"HOME=" + m.home,
		"TMPDIR=" + m.tmpDir,
		"MINIO_ROOT_USER=" + minioUser,
		"MINIO_ROOT_PASSWORD=" + minioPassword,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	}
	cmd.Stdout = log
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting MinIO %s: %w", m.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait() // its exit status is in the log
		close(exited)
	}()
	m.cmd, m.exited = cmd, exited

	if err := m.waitReady(); err != nil {
		m.kill()
		return fmt.Errorf("%w; MinIO's log (%s) ends with:\n%s", err, m.logPath, m.logTail())
	}
	return nil
}

// waitReady polls until the server is live, its process up, and ready,
// its object layer able to serve requests: only then can the scripts'
// first request not fail with a 503.
func (m *minioServer) waitReady() error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(minioStartTimeout)
	for _, check := range []string{"live", "ready"} {
		url := m.endpoint() + "/minio/health/" + check
		for {
			resp, err := client.Get(url)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			select {
			case <-m.exited:
				return fmt.Errorf("MinIO exited before it was %s on %s", check, m.endpoint())
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("MinIO was not %s on %s after %s", check, m.endpoint(), minioStartTimeout)
			}
		}
	}
	return nil
}

func (m *minioServer) running() bool {
	if m.cmd == nil {
		return false
	}
	select {
	case <-m.exited:
		return false
	default:
		return true
	}
}

// kill stops the server at once, as a crash or a lost machine would, and
// waits for its end; a stopped server is left as it is.
func (m *minioServer) kill() {
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Kill()
	<-m.exited
	m.cmd = nil
}

// logTail is the end of MinIO's log, for error messages.
func (m *minioServer) logTail() string {
	data, err := os.ReadFile(m.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	const keep = 2000
	if len(data) > keep {
		data = data[len(data)-keep:]
	}
	return string(data)
}

// newS3Client talks to the script's MinIO with its root credentials, built
// by hand rather than from the SDK's default configuration, so that nothing
// of the machine's AWS setup is read and no request leaves 127.0.0.1.
func newS3Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region:       minioRegion,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: minioUser, SecretAccessKey: minioPassword, Source: "e2e"}, nil
		}),
		HTTPClient: &http.Client{Timeout: remoteTimeout, Transport: &http.Transport{Proxy: nil}},
	})
}

func createBucket(client *s3.Client) error {
	// On a loaded machine MinIO can answer ready and still refuse its
	// first requests for a while (503, server not initialized yet): that
	// is a server still starting, so keep asking until it starts.
	deadline := time.Now().Add(minioStartTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
		_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(minioBucket)})
		cancel()
		var resp *smithyhttp.ResponseError
		if err == nil {
			return nil
		}
		if !errors.As(err, &resp) || resp.HTTPStatusCode() != http.StatusServiceUnavailable || time.Now().After(deadline) {
			return fmt.Errorf("creating the bucket %s in MinIO: %w", minioBucket, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// remoteStore is the script's view of the remote, below the product: keys
// are slash paths relative to the remote's root (the prefix team/ in the
// bucket, or the folder).
type remoteStore interface {
	// list returns the sorted keys that start with prefix.
	list(ctx context.Context, prefix string) ([]string, error)
	get(ctx context.Context, key string) ([]byte, error)
	// put writes data to key, replacing what is there.
	put(ctx context.Context, key string, data []byte) error
	// remove deletes key, which must exist.
	remove(ctx context.Context, key string) error
}

type s3Remote struct {
	client         *s3.Client
	bucket, prefix string
}

func (r s3Remote) list(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	pages := s3.NewListObjectsV2Paginator(r.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(r.bucket),
		Prefix: aws.String(r.prefix + prefix),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing s3://%s/%s%s: %w", r.bucket, r.prefix, prefix, err)
		}
		for _, obj := range page.Contents {
			keys = append(keys, strings.TrimPrefix(aws.ToString(obj.Key), r.prefix))
		}
	}
	slices.Sort(keys)
	return keys, nil
}

func (r s3Remote) get(ctx context.Context, key string) ([]byte, error) {
	out, err := r.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(r.prefix + key)})
	if err != nil {
		return nil, fmt.Errorf("reading s3://%s/%s%s: %w", r.bucket, r.prefix, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("reading s3://%s/%s%s: %w", r.bucket, r.prefix, key, err)
	}
	return data, nil
}

func (r s3Remote) put(ctx context.Context, key string, data []byte) error {
	_, err := r.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(r.bucket),
		Key:           aws.String(r.prefix + key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return fmt.Errorf("writing s3://%s/%s%s: %w", r.bucket, r.prefix, key, err)
	}
	return nil
}

func (r s3Remote) remove(ctx context.Context, key string) error {
	// S3 deletes a missing key without a word; a script that removes a
	// key that is not there has a typo, so ask first.
	_, err := r.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(r.prefix + key)})
	if err != nil {
		if notFound := (*types.NotFound)(nil); errors.As(err, &notFound) {
			return fmt.Errorf("%s is not in the remote (remote-ls lists what is)", key)
		}
		return fmt.Errorf("looking up s3://%s/%s%s: %w", r.bucket, r.prefix, key, err)
	}
	if _, err := r.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(r.prefix + key)}); err != nil {
		return fmt.Errorf("deleting s3://%s/%s%s: %w", r.bucket, r.prefix, key, err)
	}
	return nil
}

type dirRemote struct{ root string }

func (r dirRemote) list(_ context.Context, prefix string) ([]string, error) {
	var keys []string
	err := filepath.WalkDir(r.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			// The product creates the folder with its first write.
			if path == r.root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(r.root, path)
		if err != nil {
			return err
		}
		if key := filepath.ToSlash(rel); strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the remote folder %s: %w", r.root, err)
	}
	slices.Sort(keys)
	return keys, nil
}

func (r dirRemote) get(_ context.Context, key string) ([]byte, error) {
	return os.ReadFile(r.path(key))
}

// put writes in place, through a read-only mode if the product set one,
// and leaves the mode as it found it: the tampering a script does must not
// look like anything but changed bytes.
func (r dirRemote) put(_ context.Context, key string, data []byte) error {
	path := r.path(key)
	mode := fs.FileMode(0o644)
	if info, err := os.Stat(path); err == nil {
		mode = info.Mode().Perm()
		if err := os.Chmod(path, mode|0o200); err != nil {
			return fmt.Errorf("making %s writable: %w", path, err)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("making the folder of %s: %w", path, err)
	}
	if err := os.WriteFile(path, data, mode|0o200); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}

func (r dirRemote) remove(_ context.Context, key string) error {
	if err := os.Remove(r.path(key)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s is not in the remote (remote-ls lists what is)", key)
		}
		return err
	}
	return nil
}

func (r dirRemote) path(key string) string {
	return filepath.Join(r.root, filepath.FromSlash(key))
}

// remoteScriptCommands are the commands of the other scripts and those of
// the remote ones; testdata/README.md documents them.
func remoteScriptCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := scriptCommands()
	cmds["remote-config"] = cmdRemoteConfig
	cmds["remote-ls"] = cmdRemoteLs
	cmds["remote-cat"] = cmdRemoteCat
	cmds["remote-put"] = cmdRemotePut
	cmds["remote-rm"] = cmdRemoteRm
	cmds["minio"] = cmdMinio
	cmds["minio-count"] = cmdMinioCount
	cmds["remote-versioning"] = cmdRemoteVersioning
	return cmds
}

// `remote-versioning`: the bucket keeps every version of its objects
// from now on; a folder remote has no versions, and is left as it is.
func cmdRemoteVersioning(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: remote-versioning")
	}
	r, ok := scriptRemote(ts, "remote-versioning").(s3Remote)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	_, err := r.client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(r.bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	})
	if err != nil {
		ts.Fatalf("remote-versioning: %v", err)
	}
}

// scriptRemote is the script's remote; only TestRemote's scripts have one.
func scriptRemote(ts *testscript.TestScript, cmd string) remoteStore {
	store, ok := ts.Value(remoteKey{}).(remoteStore)
	if !ok {
		ts.Fatalf("%s: this script has no remote: only the scripts of testdata/remote, which TestRemote runs, have one", cmd)
	}
	return store
}

// checkKey refuses keys that would leave the remote's root, or name no
// object: absolute, with . or .. elements, or a trailing slash.
func checkKey(ts *testscript.TestScript, cmd, key string) {
	if !fs.ValidPath(key) || key == "." {
		ts.Fatalf("%s: %q is not a key: keys are slash paths inside the remote, such as records/<signature>", cmd, key)
	}
}

// cmdRemoteConfig points a repository at the script's remote:
// `remote-config [NAME]`, NAME origin by default.
func cmdRemoteConfig(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 {
		ts.Fatalf("usage: remote-config [NAME]")
	}
	name := "origin"
	if len(args) == 1 {
		name = args[0]
	}
	url := ts.Getenv("DDS_REMOTE_URL")
	if url == "" {
		ts.Fatalf("remote-config: DDS_REMOTE_URL is empty: only the scripts of testdata/remote, which TestRemote runs, have a remote")
	}
	settings := [][2]string{{"url", url}}
	if endpoint := ts.Getenv("DDS_REMOTE_ENDPOINT"); endpoint != "" {
		settings = append(settings, [2]string{"endpoint", endpoint})
	}
	for _, s := range settings {
		if err := ts.Exec("git", "config", "dds.remote."+name+"."+s[0], s[1]); err != nil {
			ts.Fatalf("remote-config: git config dds.remote.%s.%s: %v", name, s[0], err)
		}
	}
}

// cmdRemoteLs prints the keys that start with PREFIX, sorted, one a line,
// as the new stdout: `remote-ls [PREFIX]`.
func cmdRemoteLs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 {
		ts.Fatalf("usage: remote-ls [PREFIX]")
	}
	prefix := ""
	if len(args) == 1 {
		prefix = args[0]
	}
	ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	keys, err := scriptRemote(ts, "remote-ls").list(ctx, prefix)
	if err != nil {
		ts.Fatalf("remote-ls: %v", err)
	}
	// An empty listing is an empty stdout, not the last command's.
	out := ts.Stdout()
	for _, key := range keys {
		fmt.Fprintln(out, key)
	}
}

// cmdRemoteCat prints the bytes of KEY as the new stdout: `remote-cat KEY`.
func cmdRemoteCat(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: remote-cat KEY")
	}
	checkKey(ts, "remote-cat", args[0])
	ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	data, err := scriptRemote(ts, "remote-cat").get(ctx, args[0])
	if err != nil {
		ts.Fatalf("remote-cat: %v", err)
	}
	ts.Stdout().Write(data)
}

// cmdRemotePut writes the bytes of FILE to KEY, replacing what is there:
// `remote-put KEY FILE`. It is how a script tampers with the remote.
func cmdRemotePut(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: remote-put KEY FILE")
	}
	checkKey(ts, "remote-put", args[0])
	data := ts.ReadFile(args[1])
	ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	if err := scriptRemote(ts, "remote-put").put(ctx, args[0], []byte(data)); err != nil {
		ts.Fatalf("remote-put: %v", err)
	}
}

// cmdRemoteRm deletes KEY, which must be there: `remote-rm KEY`.
func cmdRemoteRm(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: remote-rm KEY")
	}
	checkKey(ts, "remote-rm", args[0])
	ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	if err := scriptRemote(ts, "remote-rm").remove(ctx, args[0]); err != nil {
		ts.Fatalf("remote-rm: %v", err)
	}
}

// cmdMinio stops the script's MinIO at once, as a crash would, or starts
// it again on the same port with the same data: `minio stop|start`.
func cmdMinio(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 || args[0] != "stop" && args[0] != "start" {
		ts.Fatalf("usage: minio stop|start")
	}
	server, ok := ts.Value(minioKey{}).(*minioServer)
	if !ok {
		ts.Fatalf("minio %s: this run has no MinIO (DDS_BACKEND=%s); guard the line with [s3], or start the script with [!s3] skip", args[0], ts.Getenv("DDS_BACKEND"))
	}
	switch args[0] {
	case "stop":
		if !server.running() {
			ts.Fatalf("minio stop: MinIO is not running; `minio start` starts it again")
		}
		server.kill()
	case "start":
		began := time.Now()
		if err := server.start(); err != nil {
			ts.Fatalf("minio start: %v", err)
		}
		ts.Logf("MinIO is ready on %s after %s", server.endpoint(), time.Since(began).Round(time.Millisecond))
	}
}
