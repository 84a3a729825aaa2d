// Command demo applies the seed's DDVE posture with Terraform against a
// local EC2 emulator, prints the resulting rules and entries, and destroys
// everything again. Run it with "make demo".
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

const providerVersion = "0.0.1"

func main() {
	terraform := flag.String("terraform", "terraform", "Terraform or OpenTofu binary")
	registry := flag.String("registry", "registry.terraform.io", "the registry host the CLI resolves ddvelabs/ddve on (OpenTofu: registry.opentofu.org)")
	keep := flag.Bool("keep", false, "keep the working directory")
	flag.Parse()
	if err := run(*terraform, *registry, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(terraform, registry string, keep bool) error {
	ctx := context.Background()
	work, err := os.MkdirTemp("", "ddve-demo-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(work)
	}

	step("building the provider into a local mirror")
	platform := runtime.GOOS + "_" + runtime.GOARCH
	mirror := filepath.Join(work, "mirror")
	binary := filepath.Join(mirror, registry, "ddvelabs/ddve", providerVersion, platform, "terraform-provider-ddve_v"+providerVersion)
	if err := command("go", "build", "-ldflags", "-X main.version="+providerVersion, "-o", binary, ".").Run(); err != nil {
		return fmt.Errorf("building the provider: %w", err)
	}

	step("starting moto on loopback")
	moto, err := acctest.StartMoto(ctx, filepath.Join(work, "moto.log"))
	if err != nil {
		return err
	}
	defer moto.Stop()
	recorder, err := acctest.StartRecorder(moto.URL)
	if err != nil {
		return err
	}
	defer recorder.Stop()
	fmt.Println("   moto at", moto.URL)

	step("creating the VPC, a public bastion subnet and a private DDVE subnet")
	network, err := acctest.CreateNetwork(ctx, acctest.EC2Client(moto.URL))
	if err != nil {
		return err
	}
	fmt.Printf("   VPC %s, bastion subnet %s, DDVE subnet %s, S3 prefix list %s %v\n",
		network.VPCID, network.BastionSubnetID, network.DDVESubnetID, network.S3PrefixListID, network.S3PrefixListCIDR)

	config := filepath.Join(work, "config")
	if err := os.MkdirAll(config, 0o755); err != nil {
		return err
	}
	seed, err := os.ReadFile(filepath.Join("demo", "seed.tf"))
	if err != nil {
		return err
	}
	vars := acctest.SeedVariables(recorder.URL, network)
	cli := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path = %q\n    include = [\"%[2]s/ddvelabs/ddve\"]\n  }\n  direct {\n    exclude = [\"%[2]s/ddvelabs/ddve\"]\n  }\n}\n", mirror, registry)
	for name, content := range map[string]string{
		filepath.Join(config, "main.tf"):          string(seed),
		filepath.Join(config, "terraform.tfvars"): vars,
		filepath.Join(work, "cli.tfrc"):           cli,
	} {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			return err
		}
	}
	tf := func(args ...string) *exec.Cmd {
		c := command(terraform, args...)
		c.Dir = config
		c.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+filepath.Join(work, "cli.tfrc"), "TF_IN_AUTOMATION=1",
			"AWS_ACCESS_KEY_ID=demo", "AWS_SECRET_ACCESS_KEY=demo", "AWS_REGION="+acctest.Region)
		return c
	}

	step("terraform init")
	if err := tf("init", "-input=false", "-no-color").Run(); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	step("terraform apply")
	recorder.Reset()
	if err := tf("apply", "-input=false", "-auto-approve", "-no-color").Run(); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	fmt.Println("   EC2 calls:", recorder.Calls())

	out := tf("output", "-json")
	out.Stdout = nil
	raw, err := out.Output()
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if err := printTables(raw); err != nil {
		return err
	}

	step("terraform plan (expect no changes)")
	if err := tf("plan", "-input=false", "-detailed-exitcode", "-no-color").Run(); err != nil {
		return fmt.Errorf("plan after apply is not empty: %w", err)
	}

	// Rules and entries are sets: a plan names what is added and removed,
	// and leaves the rest alone.
	step("terraform plan with one more bastion address, 10.0.1.11/32 (not applied)")
	if err := showPlan(tf("plan", "-input=false", "-no-color", `-var=bastion_cidrs=["10.0.1.10/32","10.0.1.11/32"]`)); err != nil {
		return err
	}
	step("a rule added outside Terraform (tcp 0-65535 from 0.0.0.0/0), then terraform plan")
	if err := acctest.AuthorizeRogueRule(ctx, acctest.EC2Client(moto.URL), groupID(raw)); err != nil {
		return err
	}
	if err := showPlan(tf("plan", "-input=false", "-no-color")); err != nil {
		return err
	}
	step("terraform destroy")
	destroy := tf("destroy", "-input=false", "-auto-approve", "-no-color")
	destroy.Stdout = nil
	if log, err := destroy.Output(); err != nil {
		return fmt.Errorf("destroy: %w\n%s", err, log)
	}
	step("done: everything destroyed, moto stopped")
	return nil
}

func step(msg string) { fmt.Println("==>", msg) }

// showPlan runs a plan and prints the changes it would make to resources:
// from the CLI's "will perform" line to its "Plan:" line, without the data
// sources it would read again.
func showPlan(plan *exec.Cmd) error {
	plan.Stdout = nil
	out, err := plan.Output()
	if err != nil {
		return fmt.Errorf("plan: %w\n%s", err, out)
	}
	printing, inDataSource := false, false
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.Contains(line, " will perform the following actions"):
			printing = true
		case !printing:
			continue
		case strings.HasPrefix(line, "  # ") && !strings.HasPrefix(line, "  # ("):
			inDataSource = strings.HasPrefix(line, "  # data.")
		case strings.HasPrefix(line, "Plan:"):
			fmt.Println(line)
			return nil
		}
		if !inDataSource {
			fmt.Println(line)
		}
	}
	return nil
}

// groupID is the DDVE group's ID, from the outputs.
func groupID(raw []byte) string {
	var o struct {
		GroupID struct {
			Value string `json:"value"`
		} `json:"group_id"`
	}
	_ = json.Unmarshal(raw, &o)
	return o.GroupID.Value
}

func command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Stdout, c.Stderr = os.Stdout, os.Stderr
	return c
}

type outputs struct {
	ExposureTable struct {
		Value string `json:"value"`
	} `json:"exposure_table"`
	Reachability struct {
		Value []map[string]any `json:"value"`
	} `json:"reachability"`
	Rules struct {
		Value []map[string]any `json:"value"`
	} `json:"rules"`
	DDVEEntries struct {
		Value []map[string]any `json:"value"`
	} `json:"ddve_subnet_entries"`
	BastionEntries struct {
		Value []map[string]any `json:"value"`
	} `json:"bastion_subnet_entries"`
}

func printTables(raw []byte) error {
	var o outputs
	if err := json.Unmarshal(raw, &o); err != nil {
		return fmt.Errorf("reading outputs: %w", err)
	}
	// Rules and entries are sets, in no order of their own: the tables
	// sort them as the console does.
	sortRows(o.Rules.Value, "direction", "from_port", "cidr_ipv4", "referenced_security_group_id", "prefix_list_id")
	sortRows(o.DDVEEntries.Value, "egress", "rule_number")
	sortRows(o.BastionEntries.Value, "egress", "rule_number")
	w := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "\nSECURITY GROUP ddve-demo\nDIRECTION\tPROTOCOL\tPORTS\tPEER\tDESCRIPTION\tRULE ID")
	for _, r := range o.Rules.Value {
		peer := first(r, "cidr_ipv4", "cidr_ipv6", "referenced_security_group_id", "prefix_list_id")
		fmt.Fprintf(w, "%v\t%v\t%s\t%s\t%v\t%v\n", r["direction"], r["protocol"], ports(r["from_port"], r["to_port"]), peer, r["description"], r["rule_id"])
	}
	for _, t := range []struct {
		title   string
		entries []map[string]any
	}{{"NETWORK ACL of the DDVE subnet", o.DDVEEntries.Value}, {"NETWORK ACL of the bastion subnet", o.BastionEntries.Value}} {
		fmt.Fprintf(w, "\n%s\nDIRECTION\tRULE #\tACTION\tPROTOCOL\tCIDR\tPORTS\tPURPOSE\n", t.title)
		for _, e := range t.entries {
			direction := "ingress"
			if e["egress"] == true {
				direction = "egress"
			}
			what := ports(e["from_port"], e["to_port"])
			if e["protocol"] == "1" || e["protocol"] == "58" {
				what = fmt.Sprintf("type %v code %v", e["icmp_type"], e["icmp_code"])
			}
			fmt.Fprintf(w, "%s\t%v\t%v\t%v\t%s\t%s\t%v\n", direction, e["rule_number"], e["rule_action"], e["protocol"],
				first(e, "cidr_block", "ipv6_cidr_block"), what, e["purpose"])
		}
	}
	fmt.Fprintln(w, "\nREACHABILITY of the seed's flows (data \"ddve_reachability\")\nPEER\tOPENER\tPROTOCOL\tPORT\tALLOWED\tREQUEST DECIDED BY\tBLOCKED AT")
	for _, r := range o.Reachability.Value {
		fmt.Fprintf(w, "%v\t%v\t%v\t%v\t%v\t%v\t%v\n", r["peer"], r["opener"], r["protocol"], r["port"], r["allowed"], r["request_decided_by"], r["blocked_at"])
	}
	fmt.Fprintln(w)
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Printf("EXPOSURE of the DDVE instance (data \"ddve_reachability\")\n%s\n", o.ExposureTable.Value)
	return nil
}

// sortRows orders rows by the values of keys in turn: ingress before
// egress, numbers by value, text alphabetically.
func sortRows(rows []map[string]any, keys ...string) {
	slices.SortStableFunc(rows, func(a, b map[string]any) int {
		for _, k := range keys {
			if c := compareValues(a[k], b[k]); c != 0 {
				return c
			}
		}
		return 0
	})
}

func compareValues(a, b any) int {
	switch a := a.(type) {
	case float64:
		b, _ := b.(float64)
		return cmp.Compare(a, b)
	case bool:
		b, _ := b.(bool)
		return cmp.Compare(boolRank(a), boolRank(b))
	case string:
		b, _ := b.(string)
		if a == "ingress" || a == "egress" {
			return cmp.Compare(b, a) // ingress first
		}
		return cmp.Compare(a, b)
	}
	return 0
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func first(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := m[k].(string); ok && v != "" {
			return v
		}
	}
	return ""
}

func ports(from, to any) string {
	f, t := fmt.Sprint(from), fmt.Sprint(to)
	switch {
	case f == "-1" || (f == "0" && t == "0"):
		return "all"
	case f == t:
		return f
	}
	return strings.Join([]string{f, t}, "-")
}
