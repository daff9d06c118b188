package statedir

import "testing"

func TestResolve(t *testing.T) {
	t.Setenv("BERTH_ROOT", "")
	t.Setenv("BERTH_HOST", "")
	def := Resolve("")
	if def.Root != DefaultRoot || def.Run != "/run/berth" || def.Socket != "/run/berth/berth.sock" {
		t.Errorf("default dirs %+v", def)
	}
	a, b := Resolve("/tmp/a"), Resolve("/tmp/b")
	if a.Run == b.Run || a.Tag == b.Tag || a.Run == def.Run {
		t.Errorf("roots share run dirs: %+v %+v", a, b)
	}
	if Resolve("/tmp/a/") != a {
		t.Error("trailing slash changes the dirs")
	}
	t.Setenv("BERTH_ROOT", "/tmp/a")
	if Resolve("") != a {
		t.Error("BERTH_ROOT ignored")
	}
	if got := a.Host(""); got != "unix:///run/berth-"+a.Tag+"/berth.sock" {
		t.Errorf("host %q", got)
	}
	t.Setenv("BERTH_HOST", "unix:///x.sock")
	if got := a.Host(""); got != "unix:///x.sock" {
		t.Errorf("BERTH_HOST ignored: %q", got)
	}
}
