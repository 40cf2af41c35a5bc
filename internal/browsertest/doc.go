// Package browsertest holds the browser tests of the two web consoles:
// headless Chromium, driven by chromedp, clicks through a whole session as
// an advertiser and a media partner would (each in its own browser
// context, with its own local console), then through the auditor's
// transcript verifier and the operator's dashboard, against a real clean
// room started in-process. It has no code outside its tests: it lives
// here because it needs both partner and cleanroom packages, which import
// each other nowhere else.
//
// The tests run when BLINDJOIN_CHROMIUM names a Chromium binary (.ci/run
// sets it to the Debian package's /usr/bin/chromium) and are skipped,
// saying so, otherwise, and in -short mode (the race-detector pass of
// .ci/run). Screenshots of the key pages go to a temporary
// directory named in the test log, or to BLINDJOIN_SCREENSHOTS if set
// (docs/console/ holds one set, for the README).
package browsertest
