package posture_test

import (
	"fmt"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// fullIntent enables all 14 profiles, each with the same n peer CIDRs.
func fullIntent(n int) posture.Intent {
	cidrs := make([]string, n)
	for i := range cidrs {
		cidrs[i] = fmt.Sprintf("10.%d.%d.0/24", i/200, i%200)
	}
	in := posture.Intent{Profiles: map[string]posture.Peers{}}
	for _, name := range catalog.Names() {
		in.Profiles[name] = posture.Peers{CIDRBlocks: cidrs}
	}
	return in
}

func BenchmarkCompileGroupFull50(b *testing.B) {
	in := fullIntent(50)
	opts := posture.GroupOptions{RulesPerDirectionQuota: 100000}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := posture.CompileGroup(in, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompileACLFull50(b *testing.B) {
	in := fullIntent(50)
	opts := posture.ACLOptions{EntriesPerDirectionQuota: 100000}
	first, err := posture.CompileACL(in, opts)
	if err != nil {
		b.Fatal(err)
	}
	opts.Previous = first
	b.ReportAllocs()
	for b.Loop() {
		if _, err := posture.CompileACL(in, opts); err != nil {
			b.Fatal(err)
		}
	}
}
