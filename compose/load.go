// Package compose loads a docker compose project the way `docker compose`
// does and lists the host ports it publishes, each with every place in the
// project's files that defines it.
//
// Loading is delegated to compose-go, with the option chain docker compose
// itself builds, so the set of projects that load, the files and env files
// that are read and the ports that come out are the ones `docker compose up`
// would see. compose-go forgets where values came from, so the package also
// re-parses every file with the YAML library compose-go uses and replays
// include, extends, !reset, !override, anchors and merge keys to map each
// final port back to its sources (see index.go).
package compose

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/consts"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/types"
)

// Options mirrors the docker compose flags and environment that decide what
// is loaded. The zero value loads the project found from the current
// directory, like a bare `docker compose up`.
type Options struct {
	// Files are the -f/--file arguments, in order. Empty means COMPOSE_FILE,
	// then default discovery (compose.yaml and compose.override.yaml,
	// searching parent directories).
	Files []string
	// ProjectDir is --project-directory.
	ProjectDir string
	// ProjectName is -p/--project-name.
	ProjectName string
	// EnvFiles are the --env-file arguments, in order; empty means
	// COMPOSE_ENV_FILES, then the project's .env.
	EnvFiles []string
	// Profiles are the --profile arguments; empty means COMPOSE_PROFILES.
	Profiles []string
	// WorkingDir is the directory relative paths are resolved against (the
	// process's current directory); "" means os.Getwd.
	WorkingDir string
	// Environ is the process environment as KEY=VALUE strings. It is passed
	// in rather than read from os.Environ so that callers (and tests) decide
	// exactly which shell variables take part in interpolation.
	Environ []string
}

// Project is the part of a loaded compose project a port check needs.
type Project struct {
	// Name is the project name, as docker compose derives it.
	Name string
	// WorkingDir is the absolute project directory.
	WorkingDir string
	// ComposeFiles are the top-level compose files that were loaded, in
	// order (included and extended files are not listed).
	ComposeFiles []string
	// EnvFiles are the project env files that were read for interpolation.
	EnvFiles []string
	// Services is the number of active services: enabled by the profiles,
	// with at least one replica, and not provider services.
	Services int
	// Bindings are the fixed host ports the active services publish, in
	// service then declaration order. Ephemeral ports are left out: the
	// engine picks a free one, so they cannot conflict.
	Bindings []Binding
	// HostNetwork lists active services with network_mode: host. Their
	// ports are not published (the engine discards them) but the processes
	// inside bind the host's ports directly, so the declared ports and
	// expose entries are probable host binds.
	HostNetwork []NetworkModeService
	// Ports are the complete ports lists of the active services (ephemeral
	// ports included) as compose-go loaded them, by service name: what an
	// `!override` file must repeat, since the tag replaces the whole list.
	Ports map[string][]types.ServicePortConfig
	// SharedNetwork lists active services with network_mode service:NAME or
	// container:NAME that publish ports anyway: the engine refuses to create
	// them ("conflicting options: port publishing and the container type
	// network mode").
	SharedNetwork []NetworkModeService
}

// NetworkModeService is an active service whose network_mode changes what
// its ports mean.
type NetworkModeService struct {
	Service string
	// NetworkMode is the value as loaded: "host", "service:db", ...
	NetworkMode string
	// Ports are the ports the service declares: for host networking the
	// container-side ports of `ports` and the `expose` entries; for a shared
	// network namespace the published ports that the engine will refuse.
	Ports []HostPort
}

// HostPort is one port or port range a service declares outside of a
// regular published binding.
type HostPort struct {
	// Port is "8080" or a range "8000-8005".
	Port     string
	Protocol string
	// From is the compose key that declares it: "ports" or "expose".
	From string
}

// Load loads the project described by opts exactly as `docker compose`
// would, and extracts its published ports with their sources. Every error
// is a *LoadError naming the file and line at fault where there is one.
func Load(ctx context.Context, opts Options) (*Project, error) {
	cwd := opts.WorkingDir
	if cwd == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, &LoadError{Msg: "cannot determine the current directory", Err: err}
		}
		cwd = wd
	}
	cwd, err := filepath.Abs(cwd)
	if err != nil {
		return nil, &LoadError{Msg: "cannot resolve the working directory", Err: err}
	}
	// compose-go and the source index each read the files; a file replaced
	// in between (another --fix renaming over it) would give positions
	// from one version and ports from another. Such a load is noticed and
	// done again.
	for attempt := 1; ; attempt++ {
		l := &loader{opts: opts, cwd: cwd, environ: environMap(opts.Environ), seen: stamps{}}
		p, err := l.load(ctx)
		if err != nil {
			return nil, l.explain(err)
		}
		path, changed := l.seen.changed()
		if !changed {
			return p, nil
		}
		if attempt == maxLoadAttempts {
			return nil, &LoadError{File: path, Msg: fmt.Sprintf("changed while it was read, %d times in a row: try again when nothing is writing it", maxLoadAttempts)}
		}
	}
}

// maxLoadAttempts bounds the loads of a project whose files keep changing.
const maxLoadAttempts = 3

// loader holds the state of one Load call.
type loader struct {
	opts    Options
	cwd     string
	environ map[string]string
	po      *cli.ProjectOptions
	// seen is every file as this load first read it.
	seen stamps
	// ix is the source index, read once (before compose-go, to refuse
	// pipes and devices) and replayed again for the ports.
	ix *index
}

func environMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		m[k] = v
	}
	return m
}

// abs resolves p against the caller's working directory, not the process's.
func (l *loader) abs(p string) string {
	if p == "" || p == "-" || filepath.IsAbs(p) || isRemote(p) {
		return p
	}
	return filepath.Join(l.cwd, p)
}

func (l *loader) load(ctx context.Context) (*Project, error) {
	files := make([]string, 0, len(l.opts.Files))
	for _, f := range l.opts.Files {
		if isRemote(f) {
			return nil, &LoadError{File: f, Msg: "remote compose file not fetched: compose-preflight only reads local files"}
		}
		f = l.abs(f)
		if f != "-" {
			if err := checkRegular(f); err != nil {
				return nil, err
			}
		}
		files = append(files, f)
	}
	envFiles := l.opts.EnvFiles
	if len(envFiles) == 0 {
		// docker compose reads COMPOSE_ENV_FILES from the shell only (not
		// from .env), before any other option is applied.
		if v := l.environ["COMPOSE_ENV_FILES"]; v != "" {
			envFiles = strings.Split(v, ",")
		}
	}
	for i, f := range envFiles {
		envFiles[i] = l.abs(f)
	}
	for _, f := range envFiles {
		if err := checkRegular(f); err != nil {
			return nil, err
		}
	}

	environ := maps2env(l.environ)
	if _, ok := l.environ["PWD"]; !ok {
		environ = append(environ, "PWD="+l.cwd)
	}
	projectDir := ""
	if l.opts.ProjectDir != "" {
		projectDir = l.abs(l.opts.ProjectDir)
		if st, err := os.Stat(projectDir); err != nil || !st.IsDir() {
			return nil, &LoadError{File: projectDir, Msg: "project directory does not exist or is not a directory"}
		}
	}

	// The chain docker compose v5 builds (cmd/compose/compose.go
	// toProjectOptions), with three compose-go options replaced by
	// equivalents that read the injected environment and working directory
	// instead of the process's: WithOsEnv, WithEnvFiles (it reads
	// COMPOSE_DISABLE_ENV_FILE with os.LookupEnv), WithConfigFileEnv and
	// WithDefaultConfigPath (they resolve against os.Getwd).
	po, err := cli.NewProjectOptions(files,
		cli.WithWorkingDirectory(projectDir),
		cli.WithEnv(environ),
		cli.WithResourceLoader(remoteRefuser{}),
		l.withEnvFiles(envFiles),
		cli.WithDotEnv,
		l.withConfigFileEnv,
		l.withDefaultConfigPath,
		l.withEnvFiles(envFiles),
		cli.WithDotEnv,
		cli.WithDefaultProfiles(l.opts.Profiles...),
		cli.WithName(l.opts.ProjectName),
		cli.WithoutEnvironmentResolution,
		// label_file entries are read by checkLabelFiles, which refuses
		// pipes and devices, instead of by compose-go, which would block
		cli.WithoutLabelsResolution,
	)
	if err != nil {
		return nil, err
	}
	l.po = po
	// default discovery finds compose.yaml with a stat that a pipe passes
	for _, f := range po.ConfigPaths {
		if f != "-" && !isRemote(f) {
			if err := checkRegular(l.abs(f)); err != nil {
				return nil, err
			}
		}
	}
	if len(po.ConfigPaths) == 0 {
		dir := projectDir
		if dir == "" {
			dir = l.cwd
		}
		return nil, &LoadError{Msg: "no compose file found in " + dir + " or any parent directory (looked for " + strings.Join(cli.DefaultFileNames, ", ") + ")"}
	}
	if err := l.checkReferenced(po); err != nil {
		return nil, err
	}
	tp, err := loadProject(ctx, po)
	if err != nil {
		return nil, err
	}
	// docker compose up reads every active service's env_file and
	// label_file before it creates a container, and stops when one is
	// missing: a pre-flight check must fail on the same projects.
	if err := checkServiceEnvFiles(tp); err != nil {
		return nil, err
	}
	if err := checkLabelFiles(tp); err != nil {
		return nil, err
	}
	return l.extract(tp)
}

// checkReferenced replays the project's include and extends references
// (with the source index, which reads through readFile) before compose-go
// opens them, and reports the first referenced file that is a pipe, a
// device or too large: compose-go reads every file with os.ReadFile, which
// blocks forever on a pipe and never ends on /dev/zero.
func (l *loader) checkReferenced(po *cli.ProjectOptions) error {
	var local []string
	for _, f := range po.ConfigPaths {
		if f != "-" && !isRemote(f) {
			local = append(local, l.abs(f))
		}
	}
	ix := newIndex()
	root := &scope{dir: l.workingDir(po), env: po.Environment, shell: l.environ}
	ix.replay(local, root, 0)
	if len(ix.refused) > 0 {
		return ix.refused[0]
	}
	for path, f := range ix.files {
		l.seen.note(path, f.info)
	}
	l.ix = ix
	// env files too, before compose-go reads them
	for _, f := range po.EnvFiles {
		if st, err := os.Stat(f); err == nil {
			l.seen.note(f, st)
		}
	}
	return nil
}

// loadProject runs compose-go's load so that a cancelled or expired ctx
// returns at once. compose-go looks at ctx only between steps, and a read
// it has started cannot be interrupted; checkFile keeps every file Load
// knows of from blocking, and this is the last resort for anything else,
// at the price of leaving the abandoned load to finish on its own.
func loadProject(ctx context.Context, po *cli.ProjectOptions) (*types.Project, error) {
	type result struct {
		p   *types.Project
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := po.LoadProject(ctx)
		done <- result{p, err}
	}()
	select {
	case r := <-done:
		return r.p, r.err
	case <-ctx.Done():
		return nil, &LoadError{Msg: "loading the project did not finish: " + ctx.Err().Error(), Err: ctx.Err()}
	}
}

// checkServiceEnvFiles does what compose-go's WithServicesEnvironmentResolved
// does with env_file entries, minus building the environment: a required
// file must exist, and a file in the default format must parse. Other
// formats (docker compose registers "raw" in a global compose-go registry)
// are only checked for readability, so nothing global is touched here.
func checkServiceEnvFiles(tp *types.Project) error {
	for _, s := range activeServices(tp) {
		for _, ef := range s.EnvFiles {
			_, err := os.Stat(ef.Path)
			if errors.Is(err, os.ErrNotExist) {
				if ef.Required {
					return fmt.Errorf("env file %s not found: %w", ef.Path, err)
				}
				continue
			}
			src, err := readFile(ef.Path)
			if err != nil {
				return err
			}
			if ef.Format != "" && ef.Format != dotenv.DotEnv {
				continue
			}
			if _, err := dotenv.UnmarshalBytesWithLookup(src, tp.Environment.Resolve); err != nil {
				return fmt.Errorf("failed to read %s: %w", ef.Path, err)
			}
		}
	}
	return nil
}

// checkLabelFiles does what compose-go's WithServicesLabelsResolved does
// with label_file entries, minus building the labels: each file must exist
// and parse. It reads through readFile, so a pipe or a device given as a
// label file is refused instead of blocking the load.
func checkLabelFiles(tp *types.Project) error {
	for _, name := range slices.Sorted(maps.Keys(tp.Services)) {
		s := tp.Services[name]
		files := slices.Clone(s.LabelFiles)
		for _, h := range s.PreStart {
			files = append(files, h.LabelFiles...)
		}
		for _, lf := range files {
			if _, err := os.Stat(lf); errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("label file %s not found: %w", lf, err)
			}
			src, err := readFile(lf)
			if err != nil {
				return err
			}
			if err := dotenv.ParseWithFormat(bytes.NewReader(src), lf, types.Mapping{}, nil, ""); err != nil {
				return fmt.Errorf("failed to read %s: %w", lf, err)
			}
		}
	}
	return nil
}

// checkRegular fails with a clear message when a file the user named is
// missing, is not a regular file or is too large (see checkFile).
func checkRegular(path string) error {
	if err := checkFile(path); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return &LoadError{File: path, Msg: "cannot read: " + errText(err), Err: err}
	}
	return f.Close()
}

// errText is err's message without the path os errors repeat.
func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func maps2env(m map[string]string) []string {
	env := make([]string, 0, len(m))
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env
}

// withEnvFiles is cli.WithEnvFiles reading COMPOSE_DISABLE_ENV_FILE from
// the injected environment.
func (l *loader) withEnvFiles(files []string) cli.ProjectOptionsFn {
	return func(o *cli.ProjectOptions) error {
		if len(files) > 0 {
			o.EnvFiles = files
			return nil
		}
		if v, ok := l.environ[consts.ComposeDisableDefaultEnvFile]; ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s: %w", consts.ComposeDisableDefaultEnvFile, err)
			}
			if b {
				return nil
			}
		}
		f := filepath.Join(l.workingDir(o), ".env")
		st, err := os.Stat(f)
		if err == nil && !st.IsDir() {
			// compose-go reads it as soon as this option chain runs
			if err := checkRegular(f); err != nil {
				return err
			}
			o.EnvFiles = []string{f}
		}
		return nil
	}
}

// workingDir is cli.ProjectOptions.GetWorkingDir with the injected cwd.
func (l *loader) workingDir(o *cli.ProjectOptions) string {
	if o.WorkingDir != "" {
		return o.WorkingDir
	}
	for _, p := range o.ConfigPaths {
		if p != "-" && !isRemote(p) {
			return filepath.Dir(l.abs(p))
		}
	}
	return l.cwd
}

// withConfigFileEnv is cli.WithConfigFileEnv resolving COMPOSE_FILE entries
// against the injected cwd. COMPOSE_FILE may come from .env, so it reads the
// merged environment.
func (l *loader) withConfigFileEnv(o *cli.ProjectOptions) error {
	if len(o.ConfigPaths) > 0 {
		return nil
	}
	f, ok := o.Environment[consts.ComposeFilePath]
	if !ok {
		return nil
	}
	sep := o.Environment[consts.ComposePathSeparator]
	if sep == "" {
		sep = string(os.PathListSeparator)
	}
	for _, entry := range strings.Split(f, sep) {
		if entry == "-" { // standard input, as with -f -
			o.ConfigPaths = append(o.ConfigPaths, entry)
			continue
		}
		if isRemote(entry) {
			return &LoadError{File: entry, Msg: "remote compose file (set by COMPOSE_FILE) not fetched: compose-preflight only reads local files"}
		}
		p := l.abs(entry)
		if err := checkRegular(p); err != nil {
			var le *LoadError
			if errors.As(err, &le) {
				le.Msg += " (set by COMPOSE_FILE)"
			}
			return err
		}
		o.ConfigPaths = append(o.ConfigPaths, p)
	}
	return nil
}

// withDefaultConfigPath is cli.WithDefaultConfigPath starting from the
// injected cwd.
func (l *loader) withDefaultConfigPath(o *cli.ProjectOptions) error {
	if len(o.ConfigPaths) > 0 {
		return nil
	}
	dir := l.workingDir(o)
	for {
		if f := firstExisting(dir, cli.DefaultFileNames); f != "" {
			o.ConfigPaths = append(o.ConfigPaths, f)
			if ov := firstExisting(dir, cli.DefaultOverrideFileNames); ov != "" {
				o.ConfigPaths = append(o.ConfigPaths, ov)
			}
			return nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

func firstExisting(dir string, names []string) string {
	for _, n := range names {
		f := filepath.Join(dir, n)
		if _, err := os.Stat(f); err == nil {
			return f
		}
	}
	return ""
}

// isRemote reports whether a compose file, include or extends reference
// names a remote resource that docker compose would fetch (git or OCI).
// It follows the prefixes docker compose's remote loaders accept.
func isRemote(p string) bool {
	for _, prefix := range []string{"oci://", "git://", "git@", "ssh://", "http://", "https://", "github.com/"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// remoteRefuser is registered as compose-go's resource loader for remote
// references so they fail with a clear message instead of a confusing
// "no such file": a pre-flight check never fetches anything.
type remoteRefuser struct{}

func (remoteRefuser) Accept(path string) bool { return isRemote(path) }

func (remoteRefuser) Load(_ context.Context, path string) (string, error) {
	return "", &LoadError{File: path, Msg: "remote include not fetched: compose-preflight only reads local files"}
}

func (remoteRefuser) Dir(path string) string { return path }

// activeServices returns the services that will run containers, sorted by
// name so the output is stable.
func activeServices(p *types.Project) []types.ServiceConfig {
	out := make([]types.ServiceConfig, 0, len(p.Services))
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		if s.GetScale() == 0 || s.Provider != nil {
			continue
		}
		out = append(out, s)
	}
	return out
}
