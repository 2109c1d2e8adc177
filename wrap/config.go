// Package wrap is everything rundeploy borrows from gcloud: how gcloud
// resolves properties (flags, CLOUDSDK_* environment variables, the
// installation properties file and the active named configuration), API
// endpoint overrides, credentials in gcloud's order, and finding and running
// the real gcloud binary (for pass-through and alias mode).
package wrap

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
)

// NoConfiguration is the reserved configuration name that means "use no
// named configuration at all" (gcloud's NONE).
const NoConfiguration = "NONE"

// DefaultConfiguration is the configuration gcloud uses when none is active.
const DefaultConfiguration = "default"

// validConfigName is gcloud's _VALID_CONFIG_NAME_REGEX (Python's "$" also
// matches before a final newline, so "other\n" is valid and names an empty
// configuration, as in gcloud). gcloud only applies it to the active_config
// file; names from the flag or the environment are used as given.
var validConfigName = regexp.MustCompile(`^[a-z][-a-z0-9]*\n?\z`)

// legacyDeprecation is the header gcloud writes into a legacy user properties
// file once it has migrated it into the default configuration.
const legacyDeprecation = "# This properties file has been superseded by named configurations.\n# Editing it will have no effect.\n\n"

// Config is gcloud's view of properties for one invocation. The zero value is
// not usable; call LoadConfig.
//
// Lookup order (gcloud's _GetPropertyWithoutCallback): flags recorded with
// SetFlag (cli.Globals.Apply), then the environment variable
// CLOUDSDK_<SECTION>_<NAME>, then the installation properties file
// overlaid with the active named configuration file. gcloud's callbacks
// (the GCE metadata fallback for core/project and core/account) are not
// emulated.
type Config struct {
	getenv func(string) string
	osEnv  bool              // getenv is os.Getenv: empty and unset variables differ
	flags  map[string]string // "section/name" -> value given by a flag
	props  properties

	// Dir is the gcloud configuration directory ($CLOUDSDK_CONFIG,
	// ~/.config/gcloud, %APPDATA%\gcloud).
	Dir string
	// Name is the active configuration name; NoConfiguration for none.
	Name string
	// Path is the active named configuration file; "" for NoConfiguration.
	// The file need not exist.
	Path string
	// InstallationPath is the installation-wide properties file that was
	// read (<sdk root>/properties), or "" when the SDK root is unknown.
	InstallationPath string
}

// LoadConfig reads gcloud's properties the way gcloud does at start-up.
// getenv is the environment (nil means os.Getenv); configuration is the
// --configuration flag ("" when not given).
//
// The active configuration is the flag, else CLOUDSDK_ACTIVE_CONFIG_NAME,
// else the active_config file (if it holds a valid name), else "default".
// NONE means no named configuration. A configuration whose file does not
// exist is simply empty, as in gcloud. The installation properties file is
// <sdk root>/properties, where the SDK root is the directory holding
// ".install" above the real gcloud binary (FindGcloud); it is skipped when
// gcloud is not found.
//
// Files that gcloud's configparser would reject give a *PropertiesError.
func LoadConfig(getenv func(string) string, configuration string) (*Config, error) {
	osEnv := getenv == nil || reflect.ValueOf(getenv).Pointer() == reflect.ValueOf(os.Getenv).Pointer()
	if getenv == nil {
		getenv = os.Getenv
	}
	c := &Config{getenv: getenv, osEnv: osEnv, flags: map[string]string{}, props: properties{}}
	c.Dir = ConfigDir(getenv)

	name := configuration
	if name == "" {
		name = getenv("CLOUDSDK_ACTIVE_CONFIG_NAME")
	}
	if name == "" {
		n, err := c.activeConfigFromFile()
		if err != nil {
			return nil, err
		}
		name = n
	}
	legacy := false
	if name == "" {
		name = DefaultConfiguration
		legacy = true
	}
	c.Name = name
	if name != NoConfiguration {
		c.Path = filepath.Join(c.Dir, "configurations", "config_"+name)
	}

	if gcloud, err := FindGcloud(getenv); err == nil {
		if root := sdkRoot(gcloud); root != "" {
			c.InstallationPath = filepath.Join(root, "properties")
			if err := c.loadFile(c.InstallationPath); err != nil {
				return nil, err
			}
		}
	}

	if legacy {
		// No configuration was ever activated: gcloud seeds "default" from
		// the legacy user properties file, unless it was migrated before.
		lp := filepath.Join(c.Dir, "properties")
		if b, err := os.ReadFile(lp); err == nil && !strings.HasPrefix(string(b), legacyDeprecation) {
			p, err := parseProperties(lp, string(b))
			if err != nil {
				return nil, err
			}
			c.props.merge(p)
			return c, nil
		}
	}
	if c.Path != "" {
		if err := c.loadFile(c.Path); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// loadFile overlays the properties file at path. Like configparser.read,
// a file that cannot be opened (missing, unreadable, a directory) is skipped.
func (c *Config) loadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	p, err := parseProperties(path, string(b))
	if err != nil {
		return err
	}
	c.props.merge(p)
	return nil
}

// activeConfigFromFile returns the name in <dir>/active_config, or "" when
// the file is missing, empty or holds an invalid name.
func (c *Config) activeConfigFromFile() (string, error) {
	path := filepath.Join(c.Dir, "active_config")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("Active configuration name could not be read from: [%s]. Ensure you have sufficient read permissions on required active configuration in [%s]: %w",
			path, filepath.Join(c.Dir, "configurations"), err)
	}
	name := string(b)
	if name == NoConfiguration || validConfigName.MatchString(name) {
		return name, nil
	}
	return "", nil
}

// ConfigDir is gcloud's global configuration directory: $CLOUDSDK_CONFIG,
// else ~/.config/gcloud, or %APPDATA%\gcloud on Windows.
func ConfigDir(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if d := getenv("CLOUDSDK_CONFIG"); d != "" {
		return d
	}
	if runtime.GOOS == "windows" {
		if a := getenv("APPDATA"); a != "" {
			return filepath.Join(a, "gcloud")
		}
		drive := getenv("SystemDrive")
		if drive == "" {
			drive = "C:"
		}
		return filepath.Join(drive+string(filepath.Separator), "gcloud")
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".config", "gcloud")
}

// sdkRoot returns the Cloud SDK root for the gcloud binary at path: the
// nearest ancestor of its (symlink-resolved) location that contains
// ".install", or "" if there is none.
func sdkRoot(gcloud string) string {
	p, err := filepath.EvalSymlinks(gcloud)
	if err != nil {
		return ""
	}
	dir := filepath.Dir(p)
	for {
		if fi, err := os.Stat(filepath.Join(dir, ".install")); err == nil && fi.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// EnvName is the environment variable gcloud reads for a property:
// CLOUDSDK_<SECTION>_<NAME>, upper-cased.
func EnvName(section, name string) string {
	return "CLOUDSDK_" + strings.ToUpper(section) + "_" + strings.ToUpper(name)
}

// SetFlag records a property value given by a command-line flag
// (e.g. --project sets core/project). Flags win over everything else.
func (c *Config) SetFlag(section, name, value string) {
	c.flags[section+"/"+name] = value
}

// Get returns the value of the property section/name and whether it is set
// at all: a flag, then the environment variable CLOUDSDK_<SECTION>_<NAME>
// (an empty variable counts as set to ""), then the properties files.
func (c *Config) Get(section, name string) (string, bool) {
	v, _, ok := c.Lookup(section, name)
	return v, ok
}

// Source says where a property value came from.
type Source int

const (
	SourceUnset Source = iota // not set anywhere
	SourceFlag                // a command-line flag (SetFlag, cli.Globals.Apply)
	SourceEnv                 // CLOUDSDK_<SECTION>_<NAME>
	SourceFile                // installation or named configuration file
)

func (s Source) String() string {
	switch s {
	case SourceFlag:
		return "flag"
	case SourceEnv:
		return "environment"
	case SourceFile:
		return "properties file"
	}
	return "unset"
}

// Lookup is Get that also reports the source of the value.
func (c *Config) Lookup(section, name string) (string, Source, bool) {
	if v, ok := c.flags[section+"/"+name]; ok {
		return v, SourceFlag, true
	}
	if v, ok := c.LookupEnv(EnvName(section, name)); ok {
		return v, SourceEnv, true
	}
	if s, ok := c.props[section]; ok {
		if v, ok := s[name]; ok {
			return v, SourceFile, true
		}
	}
	return "", SourceUnset, false
}

// LookupEnv distinguishes an empty variable from an unset one when the
// environment is the process's own; a custom getenv cannot tell them apart,
// so there "" means unset.
func (c *Config) LookupEnv(key string) (string, bool) {
	v := c.getenv(key)
	if v != "" {
		return v, true
	}
	if c.osEnv {
		return os.LookupEnv(key)
	}
	return "", false
}

// Getenv returns the environment lookup the Config was loaded with.
func (c *Config) Getenv(key string) string { return c.getenv(key) }

// ParseBool parses a boolean property value like gcloud's GetBool:
// "1", "true", "on", "yes", "y" (any case) are true, "none" means unset,
// anything else is false.
func ParseBool(v string) (value, set bool) {
	switch strings.ToLower(v) {
	case "none":
		return false, false
	case "1", "true", "on", "yes", "y":
		return true, true
	}
	return false, true
}

// GetBool returns a boolean property (see ParseBool); unset is false.
func (c *Config) GetBool(section, name string) (value, set bool) {
	v, ok := c.Get(section, name)
	if !ok {
		return false, false
	}
	return ParseBool(v)
}
