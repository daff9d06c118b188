package compose

import (
	"bytes"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// source is one Compose file given to the loader, parsed a second time with yaml.v3 so that
// errors and warnings can point at the line of a key compose-go only names by its path.
type source struct {
	path    string // absolute, or "-" for stdin
	display string // as printed to the user
	content []byte
	root    *yaml.Node // first document; nil when empty
	more    bool       // other documents follow the first
}

var (
	yamlLine    = regexp.MustCompile(`line (\d+)(?:, column \d+)?: `)
	yamlDocLine = lazyRegexp(`^line \d+: `)
)

// parse reads s.content as YAML for lineOf. A syntax error leaves s.root nil: compose-go
// reports it, with a more precise line than yaml.v3 gives (see yamlError).
func (s *source) parse() {
	dec := yaml.NewDecoder(bytes.NewReader(s.content))
	var doc yaml.Node
	if err := dec.Decode(&doc); err == nil {
		s.root = &doc
		var next yaml.Node
		s.more = dec.Decode(&next) != io.EOF
	}
}

// yamlError turns a YAML parser message into an *Error for file. The message is
// compose-go's parser's (go.yaml.in/yaml/v4), e.g. "yaml: while parsing a block mapping at
// line 1, column 3: line 3, column 4: did not find expected key": the last position is
// the problem's, those before it only give its context. Mistakes found while building
// values from a well-formed document come as "construct errors:" and a line
// "  line N: MSG" each, N the document's line, not the mistake's: only the first MSG is
// kept, with the line it names itself, if any.
func yamlError(file, msg string) *Error {
	msg = strings.TrimPrefix(msg, "yaml: ")
	construct := false
	if rest, ok := strings.CutPrefix(msg, "construct errors:"); ok {
		construct = true
		rest = strings.TrimLeft(rest, " \n")
		rest, _, _ = strings.Cut(rest, "\n")
		msg = strings.TrimPrefix(yamlDocLine().ReplaceAllString(rest, ""), "yaml: ")
	}
	if strings.Contains(msg, "excessive aliasing") {
		// yaml's guard against an alias bomb ("billion laughs"): aliases that would expand
		// the document far beyond its size
		return &Error{File: file, Msg: "the file expands too much through its YAML aliases (*name)",
			Hint: "write the repeated parts out, or alias fewer and smaller anchors"}
	}
	e := &Error{File: file, Msg: "invalid YAML: " + msg,
		Hint: "check the indentation and quoting around this line"}
	if all := yamlLine.FindAllStringSubmatchIndex(msg, -1); all != nil {
		last := all[len(all)-1]
		e.Line, _ = strconv.Atoi(msg[last[2]:last[3]])
		e.Msg = "invalid YAML: " + msg[last[1]:]
	}
	if construct && e.Line == 0 {
		e.Hint = "check the value's type and quoting"
	}
	if strings.Contains(e.Msg, "already defined") {
		e.Hint = "remove or rename one of the two"
	}
	return e
}

// lineOf returns the line of the key at path in s (its key node for a mapping entry,
// its item for a list entry) and whether the whole path was found. When it was not,
// the line is that of the deepest part found, 0 if none.
func (s *source) lineOf(path []string) (int, bool) {
	if s == nil || s.root == nil {
		return 0, false
	}
	n, ok := find(s.root, path)
	if n == nil || n.Kind == yaml.DocumentNode {
		return 0, ok
	}
	return n.Line, ok
}

func find(n *yaml.Node, path []string) (*yaml.Node, bool) {
	n = deref(n)
	if n == nil {
		return nil, false
	}
	if len(path) == 0 {
		return n, true
	}
	p := path[0]
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value != p {
				continue
			}
			if len(path) == 1 {
				return n.Content[i], true
			}
			if c, ok := find(n.Content[i+1], path[1:]); c != nil {
				return c, ok
			}
			return n.Content[i], false
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			if strconv.Itoa(i) != p && !itemNames(deref(item), p) {
				continue
			}
			if c, ok := find(item, path[1:]); c != nil {
				return c, ok
			}
			return item, false
		}
	}
	if n.Kind == yaml.DocumentNode {
		return nil, false
	}
	return n, false
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && (n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
			continue
		}
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	return n
}

// itemNames reports whether a list item refers to name: "name", "name:/path", or a
// mapping whose source is name.
func itemNames(item *yaml.Node, name string) bool {
	if item == nil {
		return false
	}
	switch item.Kind {
	case yaml.ScalarNode:
		return item.Value == name || strings.HasPrefix(item.Value, name+":")
	case yaml.MappingNode:
		for i := 0; i+1 < len(item.Content); i += 2 {
			if item.Content[i].Value == "source" && item.Content[i+1].Value == name {
				return true
			}
		}
	}
	return false
}

// lineOfVar returns the line of the first scalar under path (where "[]" matches any list
// item) that uses variable name.
func (s *source) lineOfVar(path []string, name string) int {
	if s == nil || s.root == nil {
		return 0
	}
	return findVar(deref(s.root), path, name)
}

func findVar(n *yaml.Node, path []string, name string) int {
	n = deref(n)
	if n == nil {
		return 0
	}
	if len(path) > 0 {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == path[0] {
					return findVar(n.Content[i+1], path[1:], name)
				}
			}
		case yaml.SequenceNode:
			for _, item := range n.Content {
				if l := findVar(item, path[1:], name); l > 0 {
					return l
				}
			}
		}
		return 0
	}
	if n.Kind == yaml.ScalarNode {
		if strings.Contains(n.Value, "${"+name) || usesBare(n.Value, name) {
			return n.Line
		}
		return 0
	}
	for _, c := range n.Content {
		if l := findVar(c, nil, name); l > 0 {
			return l
		}
	}
	return 0
}

// usesBare reports whether s contains $name not followed by more name characters.
func usesBare(s, name string) bool {
	for i := strings.Index(s, "$"+name); i >= 0; {
		end := i + 1 + len(name)
		if end == len(s) || !isNameChar(s[end]) {
			return true
		}
		j := strings.Index(s[end:], "$"+name)
		if j < 0 {
			return false
		}
		i = end + j
	}
	return false
}

func isNameChar(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// displayPath names path as the user knows it: relative to dir when inside it.
func displayPath(dir, path string) string {
	if path == "-" {
		return "stdin"
	}
	if rel, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}
