//go:build !mutants

package posture

// fault reports whether the compiler mutant name is switched on. Outside
// the mutants build tag none ever is, and the call is inlined away: the
// switches in the compilers cost nothing. See faults_mutants.go.
func fault(string) bool { return false }
