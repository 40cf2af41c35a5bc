package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/blindjoin/blindjoin/cleanroom/store"
)

// testSettings: a setting is set once, read back byte for byte, and a
// second AddSetting (or one in a read-only transaction) changes nothing.
func testSettings(t *testing.T, s store.Store) {
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.Setting(ctx, "keys"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unset setting: %v, want ErrNotFound", err)
		}
		return nil
	})
	value := []byte{0, 1, 2, 0xff}
	rw(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AddSetting(ctx, "keys", value) })
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.AddSetting(ctx, "keys", []byte("other")); !errors.Is(err, store.ErrExists) {
			t.Errorf("second AddSetting: %v, want ErrExists", err)
		}
		return nil
	})
	if err := s.ReadOnly(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.AddSetting(ctx, "other", value)
	}); err == nil {
		t.Error("AddSetting in a read-only transaction succeeded")
	}
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.Setting(ctx, "keys")
		if err != nil || !bytes.Equal(got, value) {
			t.Errorf("Setting = %x, %v; want %x", got, err, value)
		}
		if _, err := tx.Setting(ctx, "other"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a setting added in a read-only transaction: %v", err)
		}
		return nil
	})
}
