package acctest

import (
	"strings"
	"testing"
)

// recorderWith is a recorder that holds the calls given, in order, as if
// they had come through the proxy since its last Reset.
func recorderWith(actions ...string) *Recorder {
	return &Recorder{sequence: actions}
}

// ExpectCallsBefore fails whenever the order it promises was not seen:
// the later calls missing are as much a failure as the earlier ones.
func TestExpectCallsBefore(t *testing.T) {
	first := []string{"CreateNetworkAclEntry", "ReplaceNetworkAclEntry"}
	then := []string{"DeleteNetworkAclEntry"}
	for _, c := range []struct {
		name    string
		calls   []string
		failure string // empty: the check passes
	}{
		{"in order", []string{"DescribeNetworkAcls", "CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "DeleteNetworkAclEntry", "DeleteNetworkAclEntry"}, ""},
		{"removal first", []string{"CreateNetworkAclEntry", "DeleteNetworkAclEntry", "ReplaceNetworkAclEntry"}, "want"},
		{"nothing removed", []string{"DescribeNetworkAcls", "ReplaceNetworkAclEntry"}, "should come after"},
		{"nothing added", []string{"DescribeNetworkAcls", "DeleteNetworkAclEntry"}, "should come before"},
		{"no call at all", nil, "should come before"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := ExpectCallsBefore(recorderWith(c.calls...), first, then).Func()(nil)
			switch {
			case c.failure == "" && err != nil:
				t.Errorf("%v: %v", c.calls, err)
			case c.failure != "" && err == nil:
				t.Errorf("%v passed, want a failure", c.calls)
			case c.failure != "" && !strings.Contains(err.Error(), c.failure):
				t.Errorf("%v: %v, want it to say %q", c.calls, err, c.failure)
			}
		})
	}
}

// ExpectMutatingCalls counts the provider's calls, not the SDK's repeats,
// and leaves reads out.
func TestExpectMutatingCalls(t *testing.T) {
	rec := &Recorder{
		calls:   map[string]int{"DescribeNetworkAcls": 3, "ReplaceNetworkAclEntry": 2},
		retries: map[string]int{"ReplaceNetworkAclEntry": 1},
	}
	if err := ExpectMutatingCalls(rec, map[string]int{"ReplaceNetworkAclEntry": 1}).Func()(nil); err != nil {
		t.Error(err)
	}
	if err := ExpectMutatingCalls(rec, map[string]int{"ReplaceNetworkAclEntry": 1, "DeleteNetworkAclEntry": 1}).Func()(nil); err == nil {
		t.Error("a delete that never came passed")
	}
	if err := ExpectMutatingCalls(rec, nil).Func()(nil); err == nil {
		t.Error("a replace passed for no mutating call")
	}
}
