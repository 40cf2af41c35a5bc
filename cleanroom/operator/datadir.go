package operator

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/blindjoin/blindjoin/cleanroom/store/sqlitestore"
)

// dbFile is the store's file name in the data directory.
const dbFile = "blindjoin.db"

// ErrNoDataDir reports a command that needs an existing data directory.
var ErrNoDataDir = errors.New("operator: data directory does not exist (run serve or party add first)")

// createDataDir makes dir (mode 0700) if it does not exist.
func createDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("operator: data directory: %w", err)
	}
	return nil
}

// existingDataDir checks that dir exists, so that a typo in --data is an
// error instead of a new empty directory.
func existingDataDir(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNoDataDir, dir)
	}
	if err != nil {
		return fmt.Errorf("operator: data directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("operator: %s is not a directory", dir)
	}
	return nil
}

func openStore(dir string) (*sqlitestore.Store, error) {
	return sqlitestore.Open(filepath.Join(dir, dbFile))
}
