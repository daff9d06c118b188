package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/consts"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/compose-spec/compose-go/v2/utils"
)

// Options say which Compose files to load and how, as Docker Compose's global flags do.
type Options struct {
	// WorkingDir is the user's current directory: relative paths in the other options are
	// resolved against it, and the files are searched in it and its parents.
	WorkingDir string
	// ProjectDir is --project-directory; "" means the first file's directory.
	ProjectDir string
	// Files are the -f files in order; "-" reads Stdin. Empty means COMPOSE_FILE from
	// Environ, else compose.yaml (or compose.yml, docker-compose.yml, docker-compose.yaml)
	// found in WorkingDir or its nearest parent, plus the override file beside it.
	Files []string
	Stdin io.Reader
	// EnvFiles are the --env-file files; empty means .env in the project directory.
	EnvFiles []string
	// Profiles are the --profile values; empty means COMPOSE_PROFILES.
	Profiles []string
	// ProjectName is -p; else COMPOSE_PROJECT_NAME, else `name:`, else the project
	// directory's base name, normalized as Compose does.
	ProjectName string
	// Environ is the process environment, as os.Environ returns it.
	Environ []string
	// Services are named on the command line: they and their dependencies are enabled even
	// when none of their profiles is.
	Services []string
	// NoInterpolate leaves ${VAR} as written (config --no-interpolate).
	NoInterpolate bool
	// ValidationCache is a directory that remembers inputs that passed the schema
	// validation, to skip it when they come again; "" validates every time.
	ValidationCache string
}

// Load reads, merges and validates the Compose files o names and returns the project with
// its paths resolved, and a warning for each key berth does not implement yet. A mistake
// in the files comes back as an *Error.
func Load(ctx context.Context, o Options) (*types.Project, []Warning, error) {
	wd, err := filepath.Abs(o.WorkingDir)
	if err != nil {
		return nil, nil, fmt.Errorf("working directory: %w", err)
	}
	env := types.Mapping(utils.GetAsEqualsMap(o.Environ))
	srcs, err := readSources(wd, o, env)
	if err != nil {
		return nil, nil, err
	}
	if err := checkServiceNames(srcs); err != nil {
		return nil, nil, err
	}

	projectDir := wd
	if o.ProjectDir != "" {
		projectDir = abs(wd, o.ProjectDir)
	} else if srcs[0].path != "-" {
		projectDir = filepath.Dir(srcs[0].path)
	}

	if err := loadEnvFiles(wd, projectDir, o.EnvFiles, env); err != nil {
		return nil, nil, err
	}

	name, explicit := o.ProjectName, o.ProjectName != ""
	if !explicit && env[consts.ComposeProjectName] != "" {
		name, explicit = env[consts.ComposeProjectName], true
	}
	if explicit && loader.NormalizeProjectName(name) != name {
		return nil, nil, &Error{Msg: fmt.Sprintf("invalid project name %q", name),
			Hint: `use only lowercase letters, digits, "-" and "_", starting with a letter or digit, e.g. "` + suggestName(name) + `"`}
	}
	if !explicit {
		// a `name:` in the files, found by the loader, wins over this one
		name = loader.NormalizeProjectName(filepath.Base(projectDir))
	}

	profiles := o.Profiles
	if len(profiles) == 0 {
		profiles = splitList(env[consts.ComposeProfiles])
	}

	cache := newValidationCache(o.ValidationCache, srcs, env, name, strconv.FormatBool(explicit),
		projectDir, strings.Join(profiles, ","), strconv.FormatBool(o.NoInterpolate))
	validated := cache.hit()
	details := types.ConfigDetails{WorkingDir: projectDir, Environment: env}
	for _, s := range srcs {
		details.ConfigFiles = append(details.ConfigFiles, types.ConfigFile{Filename: s.path, Content: s.content})
	}
	var found []loader.UnsupportedAttribute
	project, err := loader.LoadWithContext(ctx, details,
		func(lo *loader.Options) {
			lo.SetProjectName(name, explicit)
			lo.SetWorkingDirExplicit(true)
			lo.Profiles = profiles
			lo.ResolvePaths = true
			lo.SkipInterpolation = o.NoInterpolate
			lo.SkipValidation = validated
		},
		loader.WithUnsupportedAttributesCheck(unsupportedPatterns(), func(u []loader.UnsupportedAttribute) { found = u }),
	)
	if err != nil {
		return nil, nil, mapError(err, srcs, wd)
	}
	if !validated {
		cache.remember()
	}
	for _, s := range srcs {
		project.ComposeFiles = append(project.ComposeFiles, s.path)
	}

	if len(o.Services) > 0 {
		if project, err = enableServices(project, o.Services); err != nil {
			return nil, nil, err
		}
	}
	if err := checkCycles(project, srcs); err != nil {
		return nil, nil, err
	}
	if err := checkLoadedServiceNames(project, srcs); err != nil {
		return nil, nil, err
	}
	if err := checkContainerNames(project, srcs); err != nil {
		return nil, nil, err
	}
	return project, warnings(project, found, srcs), nil
}

// readSources finds the Compose files, reads them and checks their YAML syntax.
func readSources(wd string, o Options, env types.Mapping) ([]*source, error) {
	files := o.Files
	if len(files) == 0 {
		if f, ok := env[consts.ComposeFilePath]; ok && f != "" {
			sep := env[consts.ComposePathSeparator]
			if sep == "" {
				sep = string(os.PathListSeparator)
			}
			files = splitList(strings.ReplaceAll(f, sep, ","))
		}
	}
	if len(files) == 0 {
		var err error
		if files, err = searchFiles(wd); err != nil {
			return nil, err
		}
	}
	var srcs []*source
	stdinRead := false
	for _, f := range files {
		s := &source{path: "-"}
		if f == "-" {
			if stdinRead {
				return nil, &Error{Msg: `"-f -" is given twice`, Hint: "stdin can be read only once"}
			}
			stdinRead = true
			if o.Stdin == nil {
				return nil, &Error{File: "stdin", Msg: "no input"}
			}
			b, err := readLimited(o.Stdin)
			if errors.Is(err, errTooLarge) {
				return nil, &Error{File: "stdin", Msg: tooLargeMsg, Hint: "check what is piped to -f -"}
			}
			if err != nil {
				return nil, fmt.Errorf("read compose file from stdin: %w", err)
			}
			s.content = b
		} else {
			s.path = abs(wd, f)
			b, err := readFile(s.path)
			if err != nil {
				msg := "cannot read: " + err.Error()
				if errors.Is(err, errTooLarge) {
					msg = tooLargeMsg
				} else if os.IsNotExist(err) {
					msg = "no such file"
				} else if fi, serr := os.Stat(s.path); serr == nil && fi.IsDir() {
					msg = "is a directory, not a file"
				}
				return nil, &Error{File: displayPath(wd, s.path), Msg: msg, Hint: "check the path given with -f or COMPOSE_FILE"}
			}
			s.content = b
		}
		s.display = displayPath(wd, s.path)
		s.parse()
		srcs = append(srcs, s)
	}
	return srcs, nil
}

// maxFileBytes bounds a Compose file's size. The largest real ones are a few hundred
// kilobytes; past this, the file is a mistake (a log or an image given to -f) or hostile,
// and compose-go would hold several copies of it, parsed, in memory.
const maxFileBytes = 8 << 20

var (
	errTooLarge = errors.New("file too large")
	tooLargeMsg = fmt.Sprintf("larger than %d MiB, too large for a Compose file", maxFileBytes>>20)
)

// readFile reads the file at path, refusing one larger than maxFileBytes before reading it.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > maxFileBytes {
		return nil, errTooLarge
	}
	return readLimited(f) // not all files know their size: pipes, /dev/stdin, /proc
}

// readLimited reads r to its end, or up to maxFileBytes and then errTooLarge.
func readLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err == nil && len(b) > maxFileBytes {
		return nil, errTooLarge
	}
	return b, err
}

// searchFiles looks for the default Compose file in dir, then in its parents, as Compose
// does, and adds the override file found beside it.
func searchFiles(dir string) ([]string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if f := firstFile(d, cli.DefaultFileNames); f != "" {
			files := []string{f}
			if o := firstFile(d, cli.DefaultOverrideFileNames); o != "" {
				files = append(files, o)
			}
			return files, nil
		}
		if filepath.Dir(d) == d {
			return nil, &Error{Msg: fmt.Sprintf("no compose file found in %s or its parents", dir),
				Hint: "create compose.yaml or give -f", noFile: true}
		}
	}
}

func firstFile(dir string, names []string) string {
	for _, n := range names {
		f := filepath.Join(dir, n)
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
			return f
		}
	}
	return ""
}

// loadEnvFiles adds the variables of the env files to env; those already set in the
// environment win, as in Compose.
func loadEnvFiles(wd, projectDir string, files []string, env types.Mapping) error {
	if len(files) == 0 {
		if b, err := strconv.ParseBool(env[consts.ComposeDisableDefaultEnvFile]); err == nil && b {
			return nil
		}
		def := filepath.Join(projectDir, ".env")
		if fi, err := os.Stat(def); err != nil || fi.IsDir() {
			return nil
		}
		files = []string{def}
	}
	var paths []string
	for _, f := range files {
		p := abs(wd, f)
		if _, err := os.Stat(p); err != nil {
			return &Error{File: displayPath(wd, p), Msg: "env file not found", Hint: "check the path given with --env-file"}
		}
		paths = append(paths, p)
	}
	vars, err := dotenv.GetEnvFromFile(env, paths)
	if err != nil {
		return &Error{Msg: "read env file: " + err.Error()}
	}
	env.Merge(vars)
	return nil
}

// enableServices enables the named services and their dependencies whatever their
// profiles, as naming a service on Compose's command line does.
func enableServices(p *types.Project, names []string) (*types.Project, error) {
	all := p.AllServices()
	for _, n := range names {
		if _, ok := all[n]; !ok {
			e := &Error{Msg: "no such service: " + n}
			if s := suggest(n, slices.Sorted(maps.Keys(all))); s != "" {
				e.Hint = fmt.Sprintf("did you mean %q?", s)
			}
			return nil, e
		}
	}
	var enable []string
	var walk func(n string)
	walk = func(n string) {
		if slices.Contains(enable, n) {
			return
		}
		enable = append(enable, n)
		for dep := range all[n].DependsOn {
			if _, ok := all[dep]; ok {
				walk(dep)
			}
		}
	}
	disabled := false
	for _, n := range names {
		walk(n)
	}
	for _, n := range enable {
		if _, ok := p.DisabledServices[n]; ok {
			disabled = true
		}
	}
	if !disabled {
		return p, nil
	}
	p, err := p.WithServicesEnabled(enable...)
	if err != nil {
		return nil, err
	}
	// services enabled now missed the loader's resolution of env_file and label_file
	if p, err = p.WithServicesEnvironmentResolved(false); err != nil {
		return nil, err
	}
	return p.WithServicesLabelsResolved(false)
}

func abs(wd, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(wd, p)
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func suggestName(name string) string {
	if n := loader.NormalizeProjectName(name); n != "" {
		return n
	}
	return "myapp"
}
