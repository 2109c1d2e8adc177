package parity

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Recording holds gcloud's observations per case, so runs without gcloud
// (or without the time to run it ~300 times) can still check rundeploy
// against what gcloud did. An entry is used only while its key (the case's
// kind and command lines, and the fixture files) is unchanged.
type Recording struct {
	Gcloud string                  `json:"gcloud"` // `gcloud version` first line
	Cases  map[string]RecordedCase `json:"cases"`

	mu    sync.Mutex
	dirty bool
}

// RecordedCase is one recorded gcloud observation.
type RecordedCase struct {
	Key string `json:"key"`
	Observation
}

// LoadRecording reads a recording; a missing file is an empty recording.
func LoadRecording(file string) (*Recording, error) {
	r := &Recording{Cases: map[string]RecordedCase{}}
	b, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read recording: %w", err)
	}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("recording %s: %w", file, err)
	}
	if r.Cases == nil {
		r.Cases = map[string]RecordedCase{}
	}
	return r, nil
}

// Save writes the recording (cases sorted by name) if it changed.
func (r *Recording) Save(file string) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.dirty {
		return nil
	}
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write recording: %w", err)
	}
	r.dirty = false
	return nil
}

// Prune drops entries for cases not in keep.
func (r *Recording) Prune(keep []Case) {
	names := map[string]bool{}
	for _, c := range keep {
		names[c.Name] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for n := range r.Cases {
		if !names[n] {
			delete(r.Cases, n)
			r.dirty = true
		}
	}
}

// The fixture directory differs between checkouts: recordings hold it as
// $DATA (as the corpus does), and replay puts the current one back.
func (ob Observation) withDataDir(from, to string) Observation {
	if from == "" {
		return ob
	}
	ob.BaseError = strings.ReplaceAll(ob.BaseError, from, to)
	ob.ErrorLine = strings.ReplaceAll(ob.ErrorLine, from, to)
	ob.Stderr = strings.ReplaceAll(ob.Stderr, from, to)
	ob.Body = strings.ReplaceAll(ob.Body, from, to)
	return ob
}

func (r *Recording) lookup(name, key, dataDir string) (Observation, bool) {
	if r == nil {
		return Observation{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rc, ok := r.Cases[name]
	if !ok || rc.Key != key {
		return Observation{}, false
	}
	return rc.Observation.withDataDir("$DATA", dataDir), true
}

func (r *Recording) store(name, key, dataDir string, ob Observation) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Cases[name] = RecordedCase{Key: key, Observation: ob.withDataDir(dataDir, "$DATA")}
	r.dirty = true
}

// caseKey identifies what gcloud was run with: the case's kind and command
// lines (before variable expansion) and the content of the fixture files.
func (cfg Config) caseKey(c Case) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", c.Kind, strings.Join(c.Base, "\x01"), strings.Join(c.Args, "\x01"))
	h.Write([]byte(cfg.fixtureHash()))
	return hex.EncodeToString(h.Sum(nil))[:16]
}

var fixtureHashes sync.Map // data dir -> hash

func (cfg Config) fixtureHash() string {
	if v, ok := fixtureHashes.Load(cfg.DataDir); ok {
		return v.(string)
	}
	h := sha256.New()
	files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "*"))
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(f), len(b))
		h.Write(b)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	fixtureHashes.Store(cfg.DataDir, sum)
	return sum
}
