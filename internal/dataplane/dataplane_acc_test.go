package dataplane

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
	"github.com/ddvelabs/terraform-provider-ddve/internal/provider"
)

var providerFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"ddve": providerserver.NewProtocol6WithError(provider.New("test")()),
}

// providerBlock points the provider at the recorder in front of moto, as
// the provider's acceptance tests do: it puts back the ICMP type and code
// of ACL entries, which moto forgets, so that they read back as AWS shows
// them.
func providerBlock(rec *acctest.Recorder) string {
	return fmt.Sprintf(`
provider "ddve" {
  region      = %q
  max_retries = 3
  endpoints = {
    ec2 = %q
  }
}
`, acctest.Region, rec.URL)
}

// seedConfig is the seed article's posture, as the provider's acceptance
// tests apply it: management from the bastion, HTTPS to S3, 5.5.5.5
// denied, and the bastion subnet a deny list.
func seedConfig(rec *acctest.Recorder, n *acctest.Network) string {
	return providerBlock(rec) + acctest.SeedResources("ddve-dataplane", n)
}

// wideProfiles are the profiles of the widest posture, peers as the
// topology places them; the backup clients' block 10.0.10.16/28 holds
// the rogue host 10.0.10.30, which the ACL denies. The bastion, the NTP
// and DNS servers and the far replication partner are reached over IPv6
// too.
func wideProfiles() string {
	return fmt.Sprintf(`
    remote_management = { cidr_blocks = ["10.0.1.10/32"] }
    ddboost           = { cidr_blocks = ["10.0.10.16/28"] }
    nfs               = { cidr_blocks = ["10.0.10.16/28"] }
    replication       = { cidr_blocks = ["10.0.10.51/32"], ipv6_cidr_blocks = [%[1]q] }
    ntp               = { cidr_blocks = ["10.0.10.123/32"], ipv6_cidr_blocks = [%[2]q] }
    dns               = { cidr_blocks = ["10.0.10.53/32"], ipv6_cidr_blocks = [%[3]q] }
    syslog            = { cidr_blocks = ["10.0.10.14/32"] }
    snmp              = { cidr_blocks = ["10.0.10.161/32"] }
    smtp              = { cidr_blocks = ["10.0.10.25/32"] }
    kmip              = { cidr_blocks = ["10.0.10.56/32"] }
    directory         = { cidr_blocks = ["10.0.10.88/32"] }
    cifs              = { cidr_blocks = ["10.0.10.16/28"], ipv6_cidr_blocks = [%[4]q] }`,
		hostBlock(farPartner.addr6), hostBlock(ntpHost.addr6), hostBlock(dnsHost.addr6), hostBlock(backup.addr6))
}

// pingRules lets the bastion ping DDVE, over IPv4 and IPv6.
func pingRules() string {
	return fmt.Sprintf(`
  custom_rules = [
    { direction = "ingress", protocol = "icmp", from_port = 8, to_port = -1, cidr_blocks = ["10.0.1.10/32"], description = "ping from the bastion" },
    { direction = "ingress", protocol = "icmpv6", from_port = 128, to_port = -1, ipv6_cidr_blocks = [%q], description = "ping from the bastion over IPv6" },
  ]`, hostBlock(bastion.addr6))
}

// hostBlock is the one-address block of addr.
func hostBlock(addr netip.Addr) string { return netip.PrefixFrom(addr, addr.BitLen()).String() }

// wideConfig enables every profile with a peer in the topology, and ping
// from the bastion. The group also lets in SSH from DDVE's subnet
// neighbour 10.0.9.10, which the ACL does not name: traffic within a
// subnet meets no ACL.
func wideConfig(rec *acctest.Recorder, n *acctest.Network) string {
	return providerBlock(rec) + fmt.Sprintf(`
resource "ddve_security_group" "ddve" {
  name   = "ddve-dataplane"
  vpc_id = %[1]q
  profiles = {
    management     = { cidr_blocks = ["10.0.1.10/32", "10.0.9.10/32"], ipv6_cidr_blocks = [%[8]q], security_group_ids = [%[2]q] }
    object_storage = { prefix_list_ids = [%[3]q] }%[6]s
  }%[7]s
}

resource "ddve_subnet_nacl" "private" {
  vpc_id     = %[1]q
  subnet_ids = [%[4]q]
  profiles = {
    management     = { cidr_blocks = ["10.0.1.10/32"], ipv6_cidr_blocks = [%[8]q] }
    object_storage = { prefix_list_ids = [%[3]q] }%[6]s
  }%[7]s
  deny = [{ cidr_block = "5.5.5.5/32" }, { cidr_block = "10.0.10.30/32" }, { ipv6_cidr_block = %[9]q }]
  # One /32 per service host takes more than AWS's default 20 entries per
  # direction; 40 is the most AWS raises it to. DDVE's own connections come
  # back to Linux's ephemeral range, as its namespace's kernel picks them
  # (net.ipv4.ip_local_port_range), one return entry per peer.
  entries_per_direction_quota = 40
  ddve_ephemeral_ports        = { from_port = 32768, to_port = 60999 }
}

resource "ddve_subnet_nacl" "bastion" {
  vpc_id         = %[1]q
  subnet_ids     = [%[5]q]
  deny           = [{ cidr_block = "5.5.5.5/32" }, { ipv6_cidr_block = %[9]q }]
  default_action = "allow"
}
`, n.VPCID, n.BastionGroupID, n.S3PrefixListID, n.DDVESubnetID, n.BastionSubnetID, wideProfiles(), pingRules(),
		hostBlock(bastion.addr6), hostBlock(denied.addr6))
}

// passes lists the flows a posture must let through; every other flow
// must be blocked.
func expectations(passes ...string) map[string]bool {
	want := map[string]bool{}
	for _, f := range allFlows() {
		want[f.name] = false
	}
	for _, name := range passes {
		if _, ok := want[name]; !ok {
			panic("no flow " + name)
		}
		want[name] = true
	}
	return want
}

var (
	bothPass = []string{"ssh to DDVE", "https to DDVE", "https to S3", "upload to S3 over a 1280-byte hop (path MTU)", "internet to the bastion",
		"internet to the bastion over IPv6"}
	// The seed denies 5.5.5.5 alone: the IPv6 address the widest posture
	// denies reaches the seed's deny-list bastion subnet.
	seedPasses = append(slices.Clone(bothPass), "denied IPv6 address to the bastion")
	widePasses = append(slices.Clone(bothPass),
		"REST API 3009", "ping DDVE", "portmapper tcp 111", "portmapper udp 111", "NFS 2049 from a reserved port", "mountd 2052",
		"replication in 2051", "replication out 2051", "NTP", "DNS over UDP", "DNS over TCP", "syslog (one-way)",
		"SNMP poll", "SNMP trap (one-way)", "SMTP 25", "KMIP 5696 (TLS)", "LDAP 389", "Kerberos udp 88",
		"Netlogon over SMB 445 to the DC", "RPC endpoint mapper 135 on the DC", "RPC dynamic port on the DC", "NTP from port 123 (ntpd-style)",
		"ssh from a host in DDVE's subnet (no ACL)", "ssh to DDVE over IPv6", "https to DDVE over IPv6", "ping DDVE over IPv6", "NTP over IPv6", "DNS over IPv6",
		"SMB 445 (smbclient)", "NetBIOS session 139 (smbclient)", "NetBIOS name query", "NetBIOS name query from port 137", "SMB 445 over IPv6",
		"replication out over IPv6 and a 1280-byte hop (path MTU)")
)

// TestAccDataplane applies the seed posture and the widest one through
// Terraform against moto, reads what EC2 holds through the SDK, loads it
// into nftables in network namespaces, and runs real clients against real
// servers: every flow must pass or be blocked as intended, and the kernel
// and internal/evaluate must agree on each. On the widest posture it then
// breaks the ACL by hand through the SDK, checks that the real clients
// notice, and puts it back.
func TestAccDataplane(t *testing.T) {
	if backend == nil {
		t.Skip("acceptance test: set TF_ACC=1 (make testdataplane) to run it against moto")
	}
	requireDataplane(t)
	start := time.Now()
	rec, err := acctest.StartRecorder(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Stop)
	// Fixtures, read-backs and hand edits go through the recorder too, so
	// that ICMP entries read back whole.
	client := acctest.EC2Client(rec.URL)
	n, err := acctest.CreateNetwork(context.Background(), client)
	if err != nil {
		t.Fatal(err)
	}
	checkS3StandIn(t, n)
	if err := addIPv6(context.Background(), client, n); err != nil {
		t.Fatal(err)
	}

	l := newLab(t)
	l.buildTopology()
	if err := l.loadRuleset(l.ns(routerRol), "observe", observeRuleset); err != nil {
		t.Fatal(err)
	}
	svc := l.startServices()
	t.Logf("namespaces and services up after %s", time.Since(start).Round(time.Millisecond))
	if p := l.runOpen(svc); len(p) > 0 {
		t.Fatalf("with no filter loaded, %d flows fail, so a posture's verdict on them would prove nothing:\n%s", len(p), strings.Join(p, "\n"))
	}

	posture := func(title string, passes []string, extra func(*readBack) error) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			rb, err := readPosture(client, n, s.RootModule().Resources["ddve_security_group.ddve"].Primary.ID)
			if err != nil {
				return err
			}
			if err := l.apply(rb); err != nil {
				return err
			}
			results := l.runFlows(svc, rb, allFlows(), expectations(passes...))
			fmt.Print(formatTable(fmt.Sprintf("%s (after %s)", title, time.Since(start).Round(time.Millisecond)), results))
			if p := problems(rb, results); len(p) > 0 {
				return fmt.Errorf("%s: %d flows disagree:\n%s", title, len(p), strings.Join(p, "\n"))
			}
			if extra != nil {
				return extra(rb)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: providerFactories,
		Steps: []resource.TestStep{
			{Config: seedConfig(rec, n), Check: posture("seed posture", seedPasses, nil)},
			{Config: wideConfig(rec, n), Check: posture("widest posture", widePasses, func(rb *readBack) error {
				return l.handBroken(svc, client, rb, n)
			})},
		},
	})
	fmt.Printf("\ndata-plane test took %s\n", time.Since(start).Round(time.Millisecond))
}

// checkS3StandIn holds the S3 stand-ins to addresses of the prefix list
// moto holds, so that the group's prefix-list rule and the ACL's resolved
// entries are what admit them.
func checkS3StandIn(t *testing.T, n *acctest.Network) {
	t.Helper()
	for _, h := range []*host{s3Host, s3Far} {
		if !slices.ContainsFunc(n.S3PrefixListCIDR, func(c string) bool { return strings.TrimSpace(c) == h.outside.String() }) {
			t.Fatalf("the S3 stand-in's block %s is not in the S3 prefix list %v", h.outside, n.S3PrefixListCIDR)
		}
	}
}
