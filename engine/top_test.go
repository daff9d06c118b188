package engine

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestTopProcesses(t *testing.T) {
	proc := t.TempDir()
	boot := time.Date(2025, 3, 1, 8, 0, 0, 0, time.Local)
	write := func(name, data string) {
		p := filepath.Join(proc, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("stat", "cpu  1 2 3\nbtime "+itoa(boot.Unix())+"\n")
	// pid 42: started 100s after boot, 250 ticks of CPU, on pts/1; a name with ") (".
	write("42/stat", "42 (my) (proc) S 1 42 42 34817 42 0 0 0 0 0 200 50 0 0 20 0 1 0 10000 0 0\n")
	write("42/status", "Name:\tmy\nUid:\t1000\t1000\t1000\t1000\n")
	write("42/cmdline", "sh\x00-c\x00sleep 1\x00")
	// pid 43: a kernel-style process without a command line, started the day before.
	write("43/stat", "43 (kworker) R 42 0 0 0 0 0 0 0 0 0 0 0 0 0 20 0 1 0 0 0 0\n")
	write("43/status", "Uid:\t0\t0\t0\t0\n")
	write("43/cmdline", "")
	now := boot.Add(100*time.Second + 500*time.Second)
	names := map[string]string{"0": "root"}
	got, err := topProcesses(proc, []int{42, 43, 44}, now, func(uid string) string {
		if n, ok := names[uid]; ok {
			return n
		}
		return uid
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"1000", "42", "1", "0", boot.Add(100 * time.Second).Format("15:04"), "pts/1", "00:00:02", "sh -c sleep 1"},
		{"root", "43", "42", "0", boot.Format("15:04"), "?", "00:00:00", "[kworker]"},
	}
	if !reflect.DeepEqual(got.Processes, want) {
		t.Errorf("processes:\n got %q\nwant %q", got.Processes, want)
	}
	if !reflect.DeepEqual(got.Titles, topTitles) {
		t.Errorf("titles %q", got.Titles)
	}
}

func itoa(n int64) string { return formatInt(n) }

func formatInt(n int64) string {
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func TestTopFormats(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"cpu time", cpuTime(3725 * time.Second), "01:02:05"},
		{"cpu days", cpuTime(90061 * time.Second), "1-01:01:01"},
		{"tty none", ttyName(0), "?"},
		{"pts", ttyName(136<<8 | 3), "pts/3"},
		{"tty1", ttyName(4<<8 | 1), "tty1"},
		{"stime other day", stime(time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC), time.Date(2025, 3, 4, 8, 0, 0, 0, time.UTC)), "Mar01"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if _, err := parseStat("garbage"); err == nil {
		t.Error("parseStat accepted garbage")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "berth-x", "id"), 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(dir, "berth-x", "id", "cgroup.procs"), []byte("7\n3\n"), 0o644)
	if pids, err := cgroupPids(dir, "/berth-x/id"); err != nil || !reflect.DeepEqual(pids, []int{3, 7}) {
		t.Errorf("cgroupPids = %v, %v", pids, err)
	}
}
