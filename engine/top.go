package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
)

// clockTicks is USER_HZ, the unit of times in /proc/PID/stat: 100 on every Linux
// architecture berth runs on.
const clockTicks = 100

// topTitles are the columns of ps -ef, which Docker's top shows by default.
var topTitles = []string{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}

// Top lists the processes of running container ref as ps -ef would, from its cgroup and
// /proc. Only ps -ef's columns are offered: other ps_args are not implemented.
func (e *Engine) Top(ref, psArgs string) (container.TopResponse, error) {
	switch strings.Join(strings.Fields(psArgs), " ") {
	case "", "-ef", "-e -f", "-fe":
	default:
		return container.TopResponse{}, fmt.Errorf("ps_args %q: berth lists processes as ps -ef does and takes no other options: %w", psArgs, errdefs.ErrNotImplemented)
	}
	c, err := e.containers.Get(ref)
	if err != nil {
		return container.TopResponse{}, err
	}
	if c.State.Status != container.StateRunning && c.State.Status != container.StatePaused {
		return container.TopResponse{}, fmt.Errorf("container %s is not running: %w", c.ID, errdefs.ErrConflict)
	}
	pids, err := cgroupPids("/sys/fs/cgroup", "/berth-"+e.dirs.Tag+"/"+c.ID)
	if err != nil {
		return container.TopResponse{}, fmt.Errorf("processes of %s: %w", c.Name, err)
	}
	return topProcesses("/proc", pids, time.Now(), userName)
}

// cgroupPids reads the pids of cgroup path (relative to the hierarchy) under cgroupfs: the
// unified hierarchy, else v1's pids controller.
func cgroupPids(cgroupfs, path string) ([]int, error) {
	var data []byte
	var err error
	for _, dir := range []string{filepath.Join(cgroupfs, path), filepath.Join(cgroupfs, "pids", path)} {
		if data, err = os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids, nil
}

// procStat is what top needs from /proc/PID/stat.
type procStat struct {
	comm        string
	ppid        int
	ttyNr       int
	cpuTicks    uint64 // utime + stime
	startTicks  uint64 // since boot
	uid         string
	commandLine string
}

// topProcesses builds ps -ef rows for pids from procDir. A process that ended since the
// cgroup was read is left out.
func topProcesses(procDir string, pids []int, now time.Time, name func(uid string) string) (container.TopResponse, error) {
	boot, err := bootTime(procDir)
	if err != nil {
		return container.TopResponse{}, err
	}
	resp := container.TopResponse{Titles: slices.Clone(topTitles), Processes: [][]string{}}
	for _, pid := range pids {
		p, err := readProc(filepath.Join(procDir, strconv.Itoa(pid)))
		if err != nil {
			continue
		}
		start := boot.Add(time.Duration(p.startTicks) * time.Second / clockTicks)
		cpu := time.Duration(p.cpuTicks) * time.Second / clockTicks
		c := 0
		if elapsed := now.Sub(start); elapsed > 0 {
			c = int(cpu * 100 / elapsed)
		}
		cmd := p.commandLine
		if cmd == "" {
			cmd = "[" + p.comm + "]"
		}
		resp.Processes = append(resp.Processes, []string{name(p.uid), strconv.Itoa(pid), strconv.Itoa(p.ppid),
			strconv.Itoa(c), stime(start, now), ttyName(p.ttyNr), cpuTime(cpu), cmd})
	}
	return resp, nil
}

// bootTime reads btime from procDir/stat.
func bootTime(procDir string) (time.Time, error) {
	f, err := os.Open(filepath.Join(procDir, "stat"))
	if err != nil {
		return time.Time{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "btime "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("boot time %q: %w", v, err)
			}
			return time.Unix(n, 0), nil
		}
	}
	return time.Time{}, fmt.Errorf("no btime in %s/stat", procDir)
}

// readProc parses dir/stat, status (for the real uid) and cmdline.
func readProc(dir string) (procStat, error) {
	data, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return procStat{}, err
	}
	p, err := parseStat(string(data))
	if err != nil {
		return procStat{}, err
	}
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return procStat{}, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "Uid:"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				p.uid = f[0]
			}
		}
	}
	cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
	p.commandLine = string(bytes.Join(bytes.Split(bytes.TrimRight(cmdline, "\x00"), []byte{0}), []byte{' '}))
	return p, nil
}

// parseStat parses a /proc/PID/stat line. The command name may hold spaces and
// parentheses, so the fields are counted from its last ')'.
func parseStat(s string) (procStat, error) {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("malformed stat %q", s)
	}
	f := strings.Fields(s[end+1:])
	// f[0] is the state; field n of proc(5) is f[n-3].
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("malformed stat %q: %d fields after the name", s, len(f))
	}
	num := func(i int) uint64 { n, _ := strconv.ParseUint(f[i], 10, 64); return n }
	ppid, _ := strconv.Atoi(f[1])
	tty, _ := strconv.Atoi(f[4])
	return procStat{comm: s[open+1 : end], ppid: ppid, ttyNr: tty,
		cpuTicks: num(11) + num(12), startTicks: num(19)}, nil
}

// ttyName names a controlling terminal number as ps does; "?" for none.
func ttyName(nr int) string {
	if nr == 0 {
		return "?"
	}
	major, minor := (nr>>8)&0xfff, (nr&0xff)|((nr>>12)&0xfff00)
	switch {
	case major >= 136 && major <= 143:
		return "pts/" + strconv.Itoa((major-136)*256+minor)
	case major == 4 && minor < 64:
		return "tty" + strconv.Itoa(minor)
	case major == 4:
		return "ttyS" + strconv.Itoa(minor-64)
	case major == 5 && minor == 1:
		return "console"
	}
	return "?"
}

// stime is ps's start time: HH:MM today, else the month and day.
func stime(start, now time.Time) string {
	y1, m1, d1 := start.Date()
	y2, m2, d2 := now.Date()
	if y1 == y2 && m1 == m2 && d1 == d2 {
		return start.Format("15:04")
	}
	if start.Year() == now.Year() {
		return start.Format("Jan02")
	}
	return start.Format("2006")
}

// cpuTime is ps's TIME: [DD-]HH:MM:SS of CPU used.
func cpuTime(d time.Duration) string {
	s := int64(d / time.Second)
	days, h, m, sec := s/86400, s/3600%24, s/60%60, s%60
	if days > 0 {
		return fmt.Sprintf("%d-%02d:%02d:%02d", days, h, m, sec)
	}
	return fmt.Sprintf("%02d:%02d:%02d", h, m, sec)
}

// userName is the host's name for uid, as ps prints it; the number when it has none.
func userName(uid string) string {
	if u, err := user.LookupId(uid); err == nil {
		return u.Username
	}
	return uid
}
