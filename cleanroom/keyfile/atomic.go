package keyfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces path with data, mode perm, so that readers see
// either the old content or the new one in full, even across a crash.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("keyfile: replace %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// createExclusive writes data to path only if path does not exist yet. The
// content is complete before the name appears: a hard link, unlike rename,
// fails when the target exists, which gives O_EXCL semantics without a
// window in which another process could read a partly written file. The
// returned error wraps fs.ErrExist when another writer got there first.
func createExclusive(path string, data []byte, perm os.FileMode) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("keyfile: create %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// writeTemp writes data to a new, fsynced temporary file next to path (so
// that rename and link stay within one file system) and returns its name.
func writeTemp(path string, data []byte, perm os.FileMode) (string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	// CreateTemp opens with O_EXCL and mode 0600, so the secret is never
	// readable by others, even before the Chmod below.
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("keyfile: create temporary file for %s: %w", path, err)
	}
	tmp := f.Name()
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("keyfile: write temporary file for %s: %w", path, err)
	}
	return tmp, nil
}

// syncDir makes a rename or link in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("keyfile: sync directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("keyfile: sync directory %s: %w", dir, err)
	}
	return nil
}
