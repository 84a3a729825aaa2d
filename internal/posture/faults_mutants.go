//go:build mutants

package posture

// Compiler mutants: under the mutants build tag each fault switch in the
// compilers can be turned on, one at a time, to make the compiler wrong
// the way a real bug would; internal/evaluate's compiler mutant test then
// asserts which of its checks rejects each. The default build has no
// switches (faults.go).

// Faults lists the switches the compilers hold, each once.
var Faults = []string{
	"client ports lost (NFS 512-1023, ntpd 123)",
	"return entry widened to 0.0.0.0/0",
	"deny numbered after the allows",
	"ICMP reply type not mapped",
	"covered entry kept",
	"non-covered entry dropped",
	"quota counting a group reference once",
	"ACL quota without the built-in deny",
	"public guard skipping prefix lists",
	"IPv6 allow-all missing",
	"ICMPv6 packet too big missing from the ACL",
	"one-way flow answered",
	"DDVE-side return range covering 2049",
	"numbers not kept on update",
	"group rule to a security group dropped",
	"catalog NTP client port edited to 124",
}

var activeFault string

// SetFault turns on the named mutant, or none with "". It is not safe for
// concurrent compiles with different mutants.
func SetFault(name string) { activeFault = name }

func fault(name string) bool { return name == activeFault }
