package posture_test

import (
	"math/rand/v2"
	"testing"

	"github.com/ddvelabs/terraform-provider-ddve/internal/catalog"
	"github.com/ddvelabs/terraform-provider-ddve/internal/posture"
)

// The properties: for any intent, the compiled group admits exactly the
// intended requests; the compiled ACL passes exactly the intended requests
// and their answers as real hosts send them, less what the denies name;
// quotas are counted as AWS counts; numbers stay put on an update.

// checkScenario is the fuzz target's body. A failure prints its input as
// Go, ready for f.Add.
func checkScenario(t *testing.T, data []byte) {
	t.Helper()
	s := newScenario(data)
	if err := verify(s, compile(s)); err != nil {
		t.Fatalf("%v\nintent: %+v\nephemeral %v, deny %+v, default allow %v\ninput: %#v", err, s.intent, s.ephemeral, s.deny, s.defaultAllow, data)
	}
}

func FuzzCompiledPosture(f *testing.F) {
	f.Add([]byte{1, 0xff, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{0, 1, 1, 2, 0, 0x80, 5, 0x60, 7})
	f.Add([]byte{2, 0x1f, 0, 0, 1, 0x21, 3, 0x42, 9, 0xe0, 255, 255})
	f.Add([]byte{1, 0x80})
	f.Add([]byte{1, 0x83, 3, 1, 2, 2, 1, 4, 0, 7, 1, 9, 2, 3, 3, 3, 3, 5, 0, 1})
	f.Fuzz(checkScenario)
}

// TestGeneratedPostures runs FuzzCompiledPosture's checks on generated
// intents in every test run: without -fuzz, the fuzz target runs its seeds
// alone. The seed is fixed, so the inputs are the same every run and a
// failure comes back as it was seen. A thousand inputs take one to two
// seconds on two cores; -short runs a tenth of them.
func TestGeneratedPostures(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	bytes := rand.NewChaCha8([32]byte{'p', 'o', 's', 't', 'u', 'r', 'e'})
	rng := rand.New(bytes)
	for range n {
		// newScenario reads a byte for each of its choices and wraps
		// around at the end: 128 bytes give every choice its own byte
		// in most intents, shorter inputs repeat themselves.
		data := make([]byte, 1+rng.IntN(128))
		_, _ = bytes.Read(data)
		checkScenario(t, data)
	}
}

// TestEveryProfileAlone checks each profile on its own, with peers of
// every kind the ACL takes, for each client kind of the host model.
func TestEveryProfileAlone(t *testing.T) {
	for _, p := range catalog.All() {
		for _, kind := range clientKinds {
			t.Run(p.Name+"/"+kind, func(t *testing.T) {
				s := scenario{
					intent: posture.Intent{Profiles: map[string]posture.Peers{p.Name: {
						CIDRBlocks: ipv4Pool[:2], IPv6CIDRBlocks: ipv6Pool[:1], PrefixListIDs: []string{listS3},
					}}},
					ephemeral: portSpan{1024, 65535},
					deny:      []posture.DenyRule{{CIDRBlock: "10.0.2.77/32", Direction: "both"}},
					client:    kind,
				}
				if err := verify(s, compile(s)); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// BenchmarkPropertyCheck is the cost of one fuzz input: drawing the
// scenario, compiling it (with its quota edges and the update) and
// checking every property.
func BenchmarkPropertyCheck(b *testing.B) {
	inputs := [][]byte{
		{1, 0xff, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		{2, 0x1f, 0, 0, 1, 0x21, 3, 0x42, 9, 0xe0, 255, 255},
		{1, 0x83, 3, 1, 2, 2, 1, 4, 0, 7, 1, 9, 2, 3, 3, 3, 3, 5, 0, 1},
	}
	for b.Loop() {
		for _, data := range inputs {
			s := newScenario(data)
			if err := verify(s, compile(s)); err != nil {
				b.Fatal(err)
			}
		}
	}
}
