package dataplane

import (
	"net/netip"
	"testing"
)

// RFC 1001, 14.1's example: "FRED" padded with spaces encodes as
// EGFCEFEECACACACACACACACACACACACA; with the <00> suffix instead of a
// 16th space, the last two letters are AA.
func TestNetBIOSNameQueryEncodesTheName(t *testing.T) {
	q := netbiosNameQuery(0x1234, "fred")
	if got, want := string(q[13:45]), "EGFCEFEECACACACACACACACACACACAAA"; got != want {
		t.Errorf("encoded name %q, want %q", got, want)
	}
	if q[0] != 0x12 || q[1] != 0x34 || q[12] != 32 || len(q) != 50 {
		t.Errorf("header or length wrong: % x", q)
	}
	if tail := q[45:]; tail[0] != 0 || tail[1] != 0 || tail[2] != 0x20 || tail[3] != 0 || tail[4] != 1 {
		t.Errorf("name terminator, type NB and class IN wrong: % x", tail)
	}
}

// Each subnet takes the /64 of the VPC's /56 numbered like its third IPv4
// octet; a block narrower than /56 has too few.
func TestIPv6SubnetNumbering(t *testing.T) {
	vpc := netip.MustParsePrefix("2600:1f18:aa:bb00::/56")
	for _, tc := range []struct {
		s    *vpcSubnet
		want string
	}{{bastionSubnet, "2600:1f18:aa:bb01::/64"}, {ddveSubnet, "2600:1f18:aa:bb09::/64"}, {spareSubnet, "2600:1f18:aa:bb0a::/64"}} {
		got, err := tc.s.ipv6Subnet(vpc)
		if err != nil || got.String() != tc.want {
			t.Errorf("%s: got %s, %v; want %s", tc.s.name, got, err, tc.want)
		}
	}
	if _, err := ddveSubnet.ipv6Subnet(netip.MustParsePrefix("2600:1f18:aa:bb00::/64")); err == nil {
		t.Error("a /64 VPC block was accepted")
	}
}
