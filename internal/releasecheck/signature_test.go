package main

import "testing"

func TestValidSigner(t *testing.T) {
	// A signature by a subkey: the first field is the subkey, the last the
	// primary key, as gpg --status-fd prints them.
	const status = "[GNUPG:] NEWSIG\n" +
		"[GNUPG:] GOODSIG 3280D695F5954571 release check\n" +
		"[GNUPG:] VALIDSIG 1111222233334444555566667777888899990000 2026-11-28 1795831954 0 4 0 1 10 00 08E2AE91D0AECB37F6E686F63280D695F5954571\n"
	for _, tc := range []struct {
		fingerprint string
		ok          bool
	}{
		{"", true},
		{"08E2AE91D0AECB37F6E686F63280D695F5954571", true}, // the primary key
		{"1111222233334444555566667777888899990000", true}, // the subkey
		{"08e2 ae91 d0ae cb37 f6e6  86f6 3280 d695 f595 4571", true},
		{"0x3280D695F5954571", true}, // long key ID
		{"08E2AE91D0AECB37F6E686F63280D695F5954571!", true},
		{"0123456789ABCDEF", false},
		{"08E2AE91D0AECB37F6E686F63280D695F5954572", false},
	} {
		signer, primary, ok := validSigner(status, tc.fingerprint)
		if signer != "1111222233334444555566667777888899990000" || primary != "08E2AE91D0AECB37F6E686F63280D695F5954571" || ok != tc.ok {
			t.Errorf("validSigner(%q) = %s, %s, %v; want the subkey, the primary key, %v", tc.fingerprint, signer, primary, ok, tc.ok)
		}
	}
	if signer, _, _ := validSigner("[GNUPG:] BADSIG 3280D695F5954571 release check\n", ""); signer != "" {
		t.Errorf("a bad signature named signer %q", signer)
	}
}
