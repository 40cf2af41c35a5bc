// Package hashing implements `blindjoin hash --type T [--region R]`: it
// reads one identifier per line and prints, per line, a JSON object with
// the normalized form and its SHA-256, or the reason the line is invalid.
//
// It lets a party check, before any upload, how its file will be normalized
// and compare digests with other tools (the UID2 hashing tool, a partner's
// pipeline). Its output goes to the user's own terminal or file, so echoing
// each input line back is fine; nothing here is sent anywhere.
//
//	{"input":" Jane.Doe@GMail.com","normalized":"janedoe@gmail.com","sha256":"..."}
//	{"input":"jane@@example.com","error":"more than one '@'"}
package hashing
