// Package compose loads and validates Compose files with compose-go. It knows nothing of
// containers or the engine.
//
// Load finds the files the way Docker Compose v2 does, merges them, interpolates variables
// from the environment and .env, applies profiles and the project name rules, and turns
// every mistake into an *Error that names the file, line and key. Keys that berth does not
// implement yet come back as Warnings, so nothing valid is ignored silently.
package compose
