//go:build embed_helpers

package main

import _ "embed"

//go:embed embedded/berth-runtime
var embeddedRuntime []byte

//go:embed embedded/berth-daemon
var embeddedDaemon []byte

//go:embed embedded/berth-init
var embeddedInit []byte

//go:embed embedded/berth-compose
var embeddedCompose []byte

//go:embed embedded/digest
var embeddedDigest string

func init() {
	helperBinaries = map[string][]byte{"berth-runtime": embeddedRuntime, "berth-daemon": embeddedDaemon, "berth-init": embeddedInit, "berth-compose": embeddedCompose}
	helperDigest = embeddedDigest
}
