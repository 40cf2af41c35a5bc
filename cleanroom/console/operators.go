package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/keyfile"
	"github.com/blindjoin/blindjoin/cleanroom/registry"
	"github.com/blindjoin/blindjoin/internal/atomicfile"
)

// OperatorsFile holds the operator credentials' hashes in the data
// directory.
const OperatorsFile = "console-operators.json"

// CredentialPrefix starts every operator credential, so that one is told
// from a party's API key (auth.APIKeyPrefix) at a glance.
const CredentialPrefix = "bjo_"

// Errors of the operator credentials.
var (
	ErrOperatorName   = errors.New("console: an operator name is 1 to 64 of [a-z0-9_.-], starting with a letter or digit")
	ErrOperatorExists = errors.New("console: an operator of that name exists")
	ErrLogin          = errors.New("console: unknown operator or wrong credential")
)

type operatorRecord struct {
	Name    string    `json:"name"`
	Hash    string    `json:"sha256"` // hex SHA-256 of the credential
	Created time.Time `json:"created"`
}

// AddOperator creates an operator credential in the data directory dir
// and returns it: the only time it is available.
func AddOperator(dir, name string) (string, error) {
	if !registry.ValidName(name) { // operators are named as parties are
		return "", ErrOperatorName
	}
	unlock, err := keyfile.Lock(filepath.Join(dir, OperatorsFile+".lock"))
	if err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	defer unlock()
	ops, err := readOperators(dir)
	if err != nil {
		return "", err
	}
	for _, op := range ops {
		if op.Name == name {
			return "", fmt.Errorf("%w: %s", ErrOperatorExists, name)
		}
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	cred := CredentialPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(cred))
	ops = append(ops, operatorRecord{Name: name, Hash: hex.EncodeToString(sum[:]), Created: time.Now().UTC()})
	data, err := json.MarshalIndent(ops, "", "  ")
	if err != nil {
		return "", err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, OperatorsFile), append(data, '\n'), 0o600); err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	return cred, nil
}

// readOperators reads the credentials file; missing means none.
func readOperators(dir string) ([]operatorRecord, error) {
	data, err := keyfile.ReadFile(filepath.Join(dir, OperatorsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("console: %s: %w", OperatorsFile, err)
	}
	var ops []operatorRecord
	if err := json.Unmarshal(data, &ops); err != nil {
		return nil, fmt.Errorf("console: %s is not the operators' JSON", OperatorsFile)
	}
	return ops, nil
}

// checkOperator returns nil when cred is name's credential. The file is
// read at each login, so an operator added while the server runs can log
// in at once. Every failure is ErrLogin.
func checkOperator(dir, name, cred string) error {
	ops, err := readOperators(dir)
	if err != nil || !strings.HasPrefix(cred, CredentialPrefix) {
		return ErrLogin
	}
	sum := sha256.Sum256([]byte(cred))
	got := hex.EncodeToString(sum[:])
	ok := 0
	for _, op := range ops {
		ok |= subtle.ConstantTimeCompare([]byte(op.Name), []byte(name)) & subtle.ConstantTimeCompare([]byte(op.Hash), []byte(got))
	}
	if ok != 1 {
		return ErrLogin
	}
	return nil
}
