package models

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// HFPrefix marks a --base that names a Hugging Face repository.
const HFPrefix = "hf:"

// HFCachePath finds "org/name[@revision]" in the local Hugging Face hub
// cache, $HF_HUB_CACHE or else $HF_HOME/hub (default ~/.cache/huggingface/hub),
// laid out as huggingface_hub writes it:
// models--org--name/snapshots/<commit>, with refs/<branch> holding the
// commit a branch name stands for. Without a revision it is "main".
// Nothing is downloaded: a missing snapshot is an error that says what to
// fetch.
func HFCachePath(ref string) (string, error) {
	repo, rev, _ := strings.Cut(ref, "@")
	org, name, ok := strings.Cut(repo, "/")
	if !ok || org == "" || name == "" || strings.ContainsAny(name, "/\\") || strings.Contains(repo, "..") {
		return "", fmt.Errorf("models: %q is not a Hugging Face repository (want %sorg/name[@revision])", ref, HFPrefix)
	}
	if rev == "" {
		rev = "main"
	}
	if strings.ContainsAny(rev, "/\\") || rev == "." || rev == ".." {
		return "", fmt.Errorf("models: bad revision %q", rev)
	}
	hub, err := hubDir()
	if err != nil {
		return "", err
	}
	root := filepath.Join(hub, "models--"+org+"--"+name)
	missing := func(what string) error {
		return fmt.Errorf("models: %s%s is not in the local Hugging Face cache (%s); nothing is downloaded: fetch it first, e.g. `huggingface-cli download %s --revision %s`",
			HFPrefix, ref, what, repo, rev)
	}
	commit := rev
	if b, err := os.ReadFile(filepath.Join(root, "refs", rev)); err == nil {
		commit = strings.TrimSpace(string(b))
		// A ref names a snapshot folder, never a path: "../../x" would
		// load any folder on disk as this repository.
		if commit == "" || commit == "." || commit == ".." || strings.ContainsAny(commit, "/\\") {
			return "", fmt.Errorf("models: %s holds %q, not a commit name: refusing a snapshot outside the cache", filepath.Join(root, "refs", rev), commit)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("models: %w", err)
	}
	dir := filepath.Join(root, "snapshots", commit)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", missing("no " + dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		return "", missing(dir + " has no config.json")
	}
	return dir, nil
}

// hubDir is where huggingface_hub keeps repositories.
func hubDir() (string, error) {
	if d := os.Getenv("HF_HUB_CACHE"); d != "" {
		return d, nil
	}
	if d := os.Getenv("HF_HOME"); d != "" {
		return filepath.Join(d, "hub"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("models: no HF_HOME and no home directory: %w", err)
	}
	return filepath.Join(home, ".cache", "huggingface", "hub"), nil
}
