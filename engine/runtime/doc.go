// Package runtime runs containers: it turns a container's settings into an OCI runtime
// spec, starts each container under its own shim (berth-runtime shim: it creates the
// container with libcontainer, holds its stdio, writes the json-file log and records the
// exit status), and drives berth-runtime for exec, pause, resume and delete. It knows nothing of images beyond a root directory and
// nothing of Compose.
//
// Files of one container live in its bundle directory under the run dir:
//
//	<run>/c/<id>/config.json   OCI spec written before start
//	<run>/c/<id>/shim.sock     the shim's control socket (versioned line protocol)
//	<run>/c/<id>/exit.json     the exit status, written atomically by the shim
//	<run>/runc/<id>/           libcontainer's state
package runtime
