// Package console receives the TTY master that libcontainer sends over a console socket.
// It is shared by berth-shim and the daemon, so it stays small.
package console

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Socketpair returns the two ends of a console socket: keep the first, pass the second to
// berth-runtime as --console-fd.
func Socketpair() (keep, pass *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("console socket: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "console"), os.NewFile(uintptr(fds[1]), "console-peer"), nil
}

// RecvMaster receives one TTY master descriptor from sock.
func RecvMaster(sock *os.File) (*os.File, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, 0)
	if err != nil {
		return nil, fmt.Errorf("receive terminal: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("receive terminal: no descriptor in message")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("receive terminal: no descriptor in message")
	}
	return os.NewFile(uintptr(fds[0]), string(buf[:n])), nil
}

// Resize sets the window size of a TTY master.
func Resize(master *os.File, height, width uint16) error {
	return unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: height, Col: width})
}
