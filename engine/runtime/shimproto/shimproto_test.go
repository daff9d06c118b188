package shimproto

import "testing"

func TestStartCode(t *testing.T) {
	for msg, want := range map[string]string{
		`unable to start container process: exec: "nope": executable file not found in $PATH`:             CodeCommandNotFound,
		`unable to start container process: exec: "/bin/gone": stat /bin/gone: no such file or directory`: CodeCommandNotFound,
		`unable to start container process: exec: "/etc/passwd": permission denied`:                       CodeCannotExecute,
		`unable to start container process: exec: "/etc": is a directory`:                                 CodeCannotExecute,
		`unable to apply cgroup configuration: something else`:                                            "",
	} {
		if got := StartCode(msg); got != want {
			t.Errorf("StartCode(%q) = %q, want %q", msg, got, want)
		}
	}
}
