// Command floorbench measures the EC2 calls and wall times of the seed
// posture through the Terraform CLI, as users run it: the provider is built
// into a filesystem mirror and each walk of each command starts it anew
// (nothing is shared between the plan and the apply of one terraform
// apply), in front of moto behind the test recorder, which counts the
// calls. It prints one line per row of the table in DESIGN.md ("What the
// EC2 calls cost"): the calls of a group's create, of adding a profile to
// it, of a no-op refresh and plan of a group and of an ACL; the time a
// larger ACL adds to an apply with 50 ms per call; and, with -fleet, the
// wall time of many postures applied at once under EC2-like per-action
// token buckets, against the floor the buckets allow. Run it with
// "make benchfloor" and "make benchfleet".
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

const providerVersion = "0.0.1"

func main() {
	terraform := flag.String("terraform", "terraform", "Terraform or OpenTofu binary")
	fleet := flag.Int("fleet", 0, "apply this many seed postures at once under token buckets (0: skip)")
	calls := flag.Bool("calls", true, "measure the call counts and the ACL timing")
	parallelism := flag.Int("parallelism", 10, "terraform -parallelism for the fleet")
	capacity := flag.Int("bucket", 10, "token bucket capacity per action for the fleet")
	refill := flag.Float64("refill", 2, "token bucket refill per second for the fleet")
	repeats := flag.Int("repeats", 5, "runs of each ACL timing; the fastest counts, the others met other load on the machine")
	keep := flag.Bool("keep", false, "keep the working directory")
	flag.Parse()
	b, err := start(*terraform, *keep)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floorbench:", err)
		os.Exit(1)
	}
	defer b.stop()
	if *calls {
		err = b.callRows(*repeats)
	}
	if err == nil && *fleet > 0 {
		err = b.fleetRow(*fleet, *parallelism, *capacity, *refill)
	}
	if err != nil {
		b.stop()
		fmt.Fprintln(os.Stderr, "floorbench:", err)
		os.Exit(1)
	}
}

type bench struct {
	terraform, work, cliConfig string
	moto                       *acctest.Moto
	rec                        *acctest.Recorder
	dirs                       int
	keep                       bool
}

func start(terraform string, keep bool) (*bench, error) {
	terraform, err := filepath.Abs(terraform)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "ddve-floor-")
	if err != nil {
		return nil, err
	}
	b := &bench{terraform: terraform, work: work, keep: keep}
	platform := runtime.GOOS + "_" + runtime.GOARCH
	mirror := filepath.Join(work, "mirror")
	binary := filepath.Join(mirror, "registry.terraform.io/ddvelabs/ddve", providerVersion, platform, "terraform-provider-ddve_v"+providerVersion)
	build := exec.Command("go", "build", "-ldflags", "-X main.version="+providerVersion, "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		b.stop()
		return nil, fmt.Errorf("building the provider: %w", err)
	}
	b.cliConfig = filepath.Join(work, "cli.tfrc")
	cli := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path = %q\n    include = [\"registry.terraform.io/ddvelabs/ddve\"]\n  }\n  direct {\n    exclude = [\"registry.terraform.io/ddvelabs/ddve\"]\n  }\n}\n", mirror)
	if err := os.WriteFile(b.cliConfig, []byte(cli), 0o644); err != nil {
		b.stop()
		return nil, err
	}
	if b.moto, err = acctest.StartMoto(context.Background(), filepath.Join(work, "moto.log")); err != nil {
		b.stop()
		return nil, err
	}
	if b.rec, err = acctest.StartRecorder(b.moto.URL); err != nil {
		b.stop()
		return nil, err
	}
	return b, nil
}

func (b *bench) stop() {
	if b.rec != nil {
		b.rec.Stop()
		b.rec = nil
	}
	if b.moto != nil {
		b.moto.Stop()
		b.moto = nil
	}
	if !b.keep && b.work != "" {
		os.RemoveAll(b.work)
		b.work = ""
	}
}

// workdir is a Terraform working directory, initialised.
type workdir struct {
	b   *bench
	dir string
}

func (b *bench) workdir() (*workdir, error) {
	b.dirs++
	w := &workdir{b: b, dir: filepath.Join(b.work, fmt.Sprintf("config-%d", b.dirs))}
	if err := os.MkdirAll(w.dir, 0o755); err != nil {
		return nil, err
	}
	if err := w.write(""); err != nil {
		return nil, err
	}
	if _, err := w.run("init", "-input=false", "-no-color"); err != nil {
		return nil, err
	}
	return w, nil
}

// write sets the configuration: the provider block, then body.
func (w *workdir) write(body string) error {
	head := fmt.Sprintf(`terraform {
  required_providers {
    ddve = { source = "ddvelabs/ddve" }
  }
}

provider "ddve" {
  region    = %q
  endpoints = { ec2 = %q }
}
`, acctest.Region, w.b.rec.URL)
	return os.WriteFile(filepath.Join(w.dir, "main.tf"), []byte(head+body), 0o644)
}

// run runs the CLI and returns how long it took.
func (w *workdir) run(args ...string) (time.Duration, error) {
	c := exec.Command(w.b.terraform, args...)
	c.Dir = w.dir
	c.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+w.b.cliConfig, "TF_IN_AUTOMATION=1",
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION="+acctest.Region, "AWS_EC2_METADATA_DISABLED=true")
	started := time.Now()
	out, err := c.CombinedOutput()
	took := time.Since(started)
	if err != nil {
		return took, fmt.Errorf("terraform %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return took, nil
}

func (w *workdir) apply(extra ...string) (time.Duration, error) {
	return w.run(append([]string{"apply", "-input=false", "-auto-approve", "-no-color"}, extra...)...)
}

// plan runs a refresh and plan and fails unless it plans no change.
func (w *workdir) plan() error {
	_, err := w.run("plan", "-input=false", "-no-color", "-detailed-exitcode")
	return err
}

func (w *workdir) destroy() error {
	_, err := w.run("destroy", "-input=false", "-auto-approve", "-no-color")
	return err
}

// counted runs fn with the recorder's counts reset and returns the calls
// the provider made (the SDK's repeats left out).
func (b *bench) counted(fn func() error) (acctest.Calls, error) {
	b.rec.Reset()
	err := fn()
	return b.rec.FirstAttempts(), err
}

func (b *bench) network() (*acctest.Network, error) {
	return acctest.CreateNetwork(context.Background(), acctest.EC2Client(b.moto.URL))
}

// seedGroup is the seed's DDVE group; extra goes into its profiles.
func seedGroup(label string, n *acctest.Network, extra string) string {
	return fmt.Sprintf(`
resource "ddve_security_group" %[1]q {
  name   = "ddve-%[1]s"
  vpc_id = %[2]q
  profiles = {
    management     = { cidr_blocks = ["10.0.1.10/32"], security_group_ids = [%[3]q] }
    object_storage = { prefix_list_ids = [%[4]q] }
%[5]s
  }
}
`, label, n.VPCID, n.BastionGroupID, n.S3PrefixListID, extra)
}

// seedACLs are the seed's private subnet ACL and the bastion subnet's
// deny-list ACL.
func seedACLs(label string, n *acctest.Network) string {
	return privateACL(label, n) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "%[1]s_bastion" {
  vpc_id         = %[2]q
  subnet_ids     = [%[3]q]
  deny           = [{ cidr_block = "5.5.5.5/32" }]
  default_action = "allow"
}
`, label, n.VPCID, n.BastionSubnetID)
}

// privateACL is the seed's private subnet ACL.
func privateACL(label string, n *acctest.Network) string {
	return fmt.Sprintf(`
resource "ddve_subnet_nacl" "%[1]s_private" {
  vpc_id     = %[2]q
  subnet_ids = [%[3]q]
  profiles = {
    management     = { cidr_blocks = ["10.0.1.10/32"] }
    object_storage = { prefix_list_ids = [%[4]q] }
  }
  deny = [{ cidr_block = "5.5.5.5/32" }]
}
`, label, n.VPCID, n.DDVESubnetID, n.S3PrefixListID)
}

// addedProfile is the profile the update adds: the REST API on 3009 from
// a management station, one ingress rule.
const addedProfile = `    remote_management = { cidr_blocks = ["10.0.1.20/32"] }`

func row(name string, value any, detail string) {
	fmt.Printf("%-62s %-14v %s\n", name, value, detail)
}

func (b *bench) callRows(repeats int) error {
	fmt.Println("Seed posture through terraform apply (Terraform at " + b.terraform + "), EC2 calls counted by the test recorder")
	n, err := b.network()
	if err != nil {
		return err
	}
	for _, emulator := range []bool{false, true} {
		if err := b.groupRows(n, emulator); err != nil {
			return err
		}
	}
	w, err := b.workdir()
	if err != nil {
		return err
	}
	if err := w.write(privateACL("seed", n)); err != nil {
		return err
	}
	calls, err := b.counted(func() error { _, err := w.apply(); return err })
	if err != nil {
		return err
	}
	row("ACL create (the seed's private subnet)", calls.Total(), calls.String())
	calls, err = b.counted(w.plan)
	if err != nil {
		return err
	}
	row("ACL no-op refresh + plan", calls.Total(), calls.String())
	if err := w.destroy(); err != nil {
		return err
	}
	return b.aclTiming(n, repeats)
}

// groupRows measures the seed's group: its create, a no-op refresh and
// plan, and a profile added. With emulator, the recorder passes moto's
// authorize answers through (the last permission's rules only), else it
// answers as AWS does.
func (b *bench) groupRows(n *acctest.Network, emulator bool) error {
	b.rec.EmulatorAuthorizeAnswers(emulator)
	defer b.rec.EmulatorAuthorizeAnswers(false)
	answers := ""
	if emulator {
		answers = ", moto's answers"
	}
	w, err := b.workdir()
	if err != nil {
		return err
	}
	if err := w.write(seedGroup("ddve", n, "")); err != nil {
		return err
	}
	calls, err := b.counted(func() error { _, err := w.apply(); return err })
	if err != nil {
		return err
	}
	row("group create"+answers, calls.Total(), calls.String())
	calls, err = b.counted(w.plan)
	if err != nil {
		return err
	}
	row("group no-op refresh + plan"+answers, calls.Total(), calls.String())
	if err := w.write(seedGroup("ddve", n, addedProfile)); err != nil {
		return err
	}
	calls, err = b.counted(func() error { _, err := w.apply(); return err })
	if err != nil {
		return err
	}
	row("group: add one profile (remote_management)"+answers, calls.Total(), calls.String())
	if err := w.plan(); err != nil {
		return fmt.Errorf("the plan after adding a profile is not empty: %w", err)
	}
	if err := w.destroy(); err != nil {
		return err
	}

	return nil
}

// aclTiming times the create of an ACL of ~34 entries against one of a
// single entry, with every call held 50 ms, and returns what the larger
// one adds, against the floor of eight entry calls in flight.
func (b *bench) aclTiming(n *acctest.Network, repeats int) error {
	const latency = 50 * time.Millisecond
	const inFlight = 8
	hosts := make([]string, 11)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("%q", fmt.Sprintf("10.0.1.%d/32", 10+i))
	}
	one := fmt.Sprintf(`
resource "ddve_subnet_nacl" "timed" {
  vpc_id     = %q
  subnet_ids = [%q]
  deny       = [{ cidr_block = "5.5.5.5/32", direction = "ingress" }]
}
`, n.VPCID, n.DDVESubnetID)
	large := fmt.Sprintf(`
resource "ddve_subnet_nacl" "timed" {
  vpc_id     = %q
  subnet_ids = [%q]
  profiles = {
    management = { cidr_blocks = [%s] }
  }
  deny = [{ cidr_block = "5.5.5.5/32", direction = "ingress" }]
  entries_per_direction_quota = 40
}
`, n.VPCID, n.DDVESubnetID, strings.Join(hosts, ", "))
	w, err := b.workdir()
	if err != nil {
		return err
	}
	b.rec.SetLatency(latency)
	defer b.rec.SetLatency(0)
	var times [2][]time.Duration
	var entries [2]int
	for range repeats {
		for i, config := range []string{one, large} {
			if err := w.write(config); err != nil {
				return err
			}
			var took time.Duration
			calls, err := b.counted(func() (err error) { took, err = w.apply(); return err })
			if err != nil {
				return err
			}
			times[i] = append(times[i], took)
			entries[i] = calls["CreateNetworkAclEntry"]
			if err := w.destroy(); err != nil {
				return err
			}
		}
	}
	fastest := func(d []time.Duration) time.Duration { return slices.Min(d) }
	extra := fastest(times[1]) - fastest(times[0])
	added := entries[1] - entries[0]
	floor := time.Duration(math.Ceil(float64(added)/inFlight)) * latency
	row(fmt.Sprintf("ACL of %d entries over one of %d, %s per call", entries[1], entries[0], latency),
		fmt.Sprintf("+%.2f s", extra.Seconds()),
		fmt.Sprintf("floor %.2f s (%d more entries, %d in flight): %.1fx the floor; applies %v and %v (fastest of %d)",
			floor.Seconds(), added, inFlight, extra.Seconds()/floor.Seconds(), fastest(times[0]).Round(time.Millisecond), fastest(times[1]).Round(time.Millisecond), repeats))
	return nil
}

// fleetRow applies count seed postures at once, each in its own VPC,
// while the recorder throttles every action with a token bucket, and
// compares the wall time with the floor the buckets allow: for each
// action, the calls that went through beyond the bucket's capacity at
// its refill rate; the floor is the slowest action's.
func (b *bench) fleetRow(count, parallelism, capacity int, refill float64) error {
	var body strings.Builder
	for i := range count {
		n, err := b.network()
		if err != nil {
			return err
		}
		label := fmt.Sprintf("p%02d", i)
		body.WriteString(seedGroup(label, n, ""))
		body.WriteString(seedACLs(label, n))
	}
	w, err := b.workdir()
	if err != nil {
		return err
	}
	if err := w.write(body.String()); err != nil {
		return err
	}
	b.rec.SetTokenBuckets(capacity, refill)
	b.rec.Reset()
	wall, err := w.apply(fmt.Sprintf("-parallelism=%d", parallelism))
	all, throttled, first := b.rec.Calls(), b.rec.Throttled(), b.rec.FirstAttempts()
	b.rec.SetTokenBuckets(0, 0)
	if err != nil {
		return err
	}
	passed := acctest.Calls{}
	floor, slowest := 0.0, ""
	for action, n := range all {
		passed[action] = n - throttled[action]
		if t := float64(passed[action]-capacity) / refill; t > floor {
			floor, slowest = t, action
		}
	}
	fmt.Printf("Fleet: %d seed postures, terraform apply -parallelism=%d, token buckets of %d per action at %g/s\n", count, parallelism, capacity, refill)
	row("fleet wall over the bucket floor", fmt.Sprintf("%.0f%%", 100*floor/wall.Seconds()),
		fmt.Sprintf("floor %.0f s (%s), wall %.0f s; %d of %d calls throttled; %.2f attempts per call that went through",
			floor, slowest, wall.Seconds(), throttled.Total(), all.Total(), float64(all.Total())/float64(passed.Total())))
	fmt.Println("   went through:", passed)
	fmt.Println("   throttled:   ", throttled)
	fmt.Println("   provider's calls (first attempts):", first.Total())
	if err := w.plan(); err != nil {
		return fmt.Errorf("the plan after the fleet's apply is not empty: %w", err)
	}
	return w.destroy()
}
