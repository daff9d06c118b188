// Package version holds berth's version, set at link time by the Makefile.
package version

// Version is the berth release; "dev" for builds outside the Makefile.
var Version = "dev"

// APIVersion is the Docker Engine API version berth speaks.
const APIVersion = "1.51"

// MinAPIVersion is the oldest Docker Engine API version berth accepts.
const MinAPIVersion = "1.41"
