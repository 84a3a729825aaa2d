package provider

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
	"github.com/ddvelabs/terraform-provider-ddve/internal/evaluate"
)

// TestAccSubnetNACL_realClients applies profiles whose clients do not send
// from an ephemeral port, reads back what AWS holds, and follows the
// packets real hosts send: a Linux NFS mount from a privileged port
// (nfs(5) resvport), ntpd from 123 to 123, NetBIOS name service from 137
// to 137, a syslog datagram that expects no answer.
func TestAccSubnetNACL_realClients(t *testing.T) {
	rec := testRecorder(t)
	n := testNetwork(t)
	var (
		ddve       = netip.MustParseAddr("10.0.9.5")
		nfsClient  = netip.MustParseAddr("10.0.2.44")
		ntpServer  = netip.MustParseAddr("10.0.3.3")
		cifsClient = netip.MustParseAddr("10.0.4.4")
		collector  = netip.MustParseAddr("10.0.5.5")
	)
	udp, tcp := 17, 6
	packet := func(proto int, src netip.Addr, srcPort int, dst netip.Addr, dstPort int) evaluate.Packet {
		return evaluate.Packet{Src: src, Dst: dst, Protocol: proto, SrcPort: srcPort, DstPort: dstPort}
	}
	check := func(s *terraform.State) error {
		entries, err := acctest.ReadACLEntries(context.Background(), acctest.EC2Client(rec.URL), s.RootModule().Resources[aclAddress].Primary.ID)
		if err != nil {
			return err
		}
		host := evaluate.Host{Addr: ddve, ACL: evaluate.ACL{Entries: entries}}
		for _, c := range []struct {
			name    string
			request evaluate.Packet
		}{
			{"NFS mount from a Linux client's reserved port", packet(tcp, nfsClient, 800, ddve, 2049)},
			{"mountd from a BSD client's reserved port", packet(tcp, nfsClient, 512, ddve, 2052)},
			{"portmapper over UDP from a reserved port", packet(udp, nfsClient, 1023, ddve, 111)},
			{"NFS from a Linux ephemeral port", packet(tcp, nfsClient, 40000, ddve, 2049)},
			{"ntpd", packet(udp, ddve, 123, ntpServer, 123)},
			{"chrony from an ephemeral port", packet(udp, ddve, 51000, ntpServer, 123)},
			{"NetBIOS name service", packet(udp, cifsClient, 137, ddve, 137)},
			{"NetBIOS datagrams", packet(udp, cifsClient, 138, ddve, 138)},
			{"SMB from a Windows client", packet(tcp, cifsClient, 49152, ddve, 445)},
		} {
			// The ACL alone: the request one way, the reply the other.
			egress := c.request.Src == ddve
			if v := host.ACL.Filter(c.request, egress); !v.Allowed {
				return fmt.Errorf("%s: the request %v is dropped: %s", c.name, c.request, v.Reason)
			}
			reply, _ := c.request.Reply()
			if v := host.ACL.Filter(reply, !egress); !v.Allowed {
				return fmt.Errorf("%s: the reply %v is dropped: %s", c.name, reply, v.Reason)
			}
		}
		// A syslog datagram goes out; nothing comes back in for it, and
		// the collector cannot send to DDVE's ports.
		if v := host.ACL.Filter(packet(udp, ddve, 40000, collector, 514), true); !v.Allowed {
			return fmt.Errorf("syslog is dropped: %s", v.Reason)
		}
		if v := host.ACL.Filter(packet(udp, collector, 514, ddve, 40000), false); v.Allowed {
			return fmt.Errorf("the syslog collector gets in: %s", v.Reason)
		}
		// Reserved ports answer only the NFS peers.
		if v := host.ACL.Filter(packet(tcp, ddve, 2049, cifsClient, 800), true); v.Allowed {
			return fmt.Errorf("a CIFS client's reserved port gets NFS replies: %s", v.Reason)
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkACLsDestroyed(n),
		Steps: []resource.TestStep{{
			Config: providerConfig(rec) + fmt.Sprintf(`
resource "ddve_subnet_nacl" "test" {
  vpc_id     = %q
  subnet_ids = [%q]
  profiles = {
    nfs    = { cidr_blocks = ["10.0.2.0/24"] }
    ntp    = { cidr_blocks = ["10.0.3.3/32"] }
    cifs   = { cidr_blocks = ["10.0.4.0/24"] }
    syslog = { cidr_blocks = ["10.0.5.5/32"] }
  }
}
`, n.VPCID, n.DDVESubnetID),
			Check: check,
		}},
	})
}
