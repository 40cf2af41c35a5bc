package console

import (
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// OpenBrowser opens url in the user's browser through a 0600 redirect
// file in dir, as Jupyter does, so that the token is not on a command
// line that other local users can read in ps.
func OpenBrowser(url, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	page := filepath.Join(dir, "open-console.html")
	body := `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=` + html.EscapeString(url) + `"><title>blindjoin console</title>`
	if err := os.WriteFile(page, []byte(body), 0o600); err != nil {
		return err
	}
	abs, err := filepath.Abs(page)
	if err != nil {
		return err
	}
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", abs)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", abs)
	default:
		cmd = exec.Command("xdg-open", abs)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}
