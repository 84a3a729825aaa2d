// Command releasecheck installs the provider the way users receive it: it
// takes the host's archive from a goreleaser dist directory, checks it
// against SHA256SUMS, unpacks it into a filesystem mirror, and has each
// given CLI init from that mirror (no dev overrides) and plan the seed
// posture against moto on loopback, checking that the provider that
// answers is the release's version. Every hash in the lock files must be
// the archive's h1: hash or a zh: line of SHA256SUMS, which a registry
// install records (every line, the manifest's too) and which the CLI must
// verify the archive against. A signature, when there is one, must verify.
// Run it with "make release-check".
package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/dirhash"

	"github.com/ddvelabs/terraform-provider-ddve/internal/acctest"
)

const (
	namespace = "ddvelabs"
	name      = "ddve"
	project   = "terraform-provider-" + name
)

// Where Terraform and OpenTofu resolve the source address "ddvelabs/ddve".
var hosts = []string{"registry.terraform.io", "registry.opentofu.org"}

type cliFlag []string

func (c *cliFlag) String() string     { return strings.Join(*c, ",") }
func (c *cliFlag) Set(v string) error { *c = append(*c, v); return nil }

func main() {
	dist := flag.String("dist", "dist", "goreleaser's output directory")
	seed := flag.String("seed", filepath.Join("demo", "seed.tf"), "configuration to plan")
	manifest := flag.String("manifest", "terraform-registry-manifest.json", "the registry manifest SHA256SUMS lists under the release's name")
	keep := flag.Bool("keep", false, "keep the working directory")
	var clis cliFlag
	flag.Var(&clis, "cli", "kind=path of a CLI to install with, kind terraform or tofu; repeatable")
	flag.Parse()
	if err := run(*dist, *seed, *manifest, clis, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "release-check:", err)
		os.Exit(1)
	}
}

func run(dist, seed, manifest string, clis []string, keep bool) error {
	ctx := context.Background()
	version, err := distVersion(dist)
	if err != nil {
		return err
	}
	platform := runtime.GOOS + "_" + runtime.GOARCH
	archive := filepath.Join(dist, fmt.Sprintf("%s_%s_%s.zip", project, version, platform))
	sums, err := readSums(filepath.Join(dist, fmt.Sprintf("%s_%s_SHA256SUMS", project, version)))
	if err != nil {
		return err
	}

	step("archives of %s listed in SHA256SUMS", version)
	// The release uploads the manifest under its release name; a snapshot
	// only lists it.
	manifestName := fmt.Sprintf("%s_%s_manifest.json", project, version)
	local := func(file string) string {
		if file == manifestName {
			return manifest
		}
		return filepath.Join(dist, file)
	}
	for _, file := range slices.Sorted(maps.Keys(sums)) {
		info, err := os.Stat(local(file))
		if err != nil {
			return fmt.Errorf("SHA256SUMS lists %s: %w", file, err)
		}
		sum, err := fileSHA256(local(file))
		if err != nil {
			return err
		}
		if sum != sums[file] {
			return fmt.Errorf("%s: sha256 %s, SHA256SUMS says %s", file, sum, sums[file])
		}
		fmt.Printf("   %-55s %9d bytes  sha256 %s\n", file, info.Size(), sum)
	}
	if _, ok := sums[filepath.Base(archive)]; !ok {
		return fmt.Errorf("SHA256SUMS does not list the host's archive %s", filepath.Base(archive))
	}
	if err := checkManifest(manifestName, manifest, sums); err != nil {
		return err
	}
	sumsFile := filepath.Join(dist, fmt.Sprintf("%s_%s_SHA256SUMS", project, version))
	fingerprint := os.Getenv("GPG_FINGERPRINT")
	switch sig := sumsFile + ".sig"; {
	case exists(sig):
		if err := verifySignature(sumsFile, sig, fingerprint); err != nil {
			return err
		}
	case fingerprint != "":
		return fmt.Errorf("GPG_FINGERPRINT is set but %s has no signature %s", filepath.Base(sumsFile), filepath.Base(sig))
	default:
		fmt.Println("   SHA256SUMS is not signed (no key given, no gpg)")
	}
	h1, err := dirhash.HashZip(archive, dirhash.Hash1)
	if err != nil {
		return err
	}
	// What a registry install records: a zh: hash for every line of the
	// signed SHA256SUMS (Terraform takes them all, the manifest's
	// included), plus h1: of the archive installed.
	var registryHashes []string
	for _, file := range slices.Sorted(maps.Keys(sums)) {
		registryHashes = append(registryHashes, "zh:"+sums[file])
	}
	want := map[string]bool{h1: true}
	for _, h := range registryHashes {
		want[h] = true
	}

	work, err := os.MkdirTemp("", "ddve-release-check-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("   working directory", work)
	} else {
		defer os.RemoveAll(work)
	}

	// Two filesystem mirrors: the archive unpacked, and the archive as it
	// is (the packed layout), which lets the CLI check it against zh:
	// hashes in a lock file.
	step("unpacking %s into a filesystem mirror", filepath.Base(archive))
	unpacked, packed := filepath.Join(work, "mirror"), filepath.Join(work, "mirror-packed")
	for _, host := range hosts {
		if err := unzip(archive, filepath.Join(unpacked, host, namespace, name, version, platform)); err != nil {
			return err
		}
		if err := copyFile(archive, filepath.Join(packed, host, namespace, name, filepath.Base(archive))); err != nil {
			return err
		}
	}
	binary := filepath.Join(unpacked, hosts[0], namespace, name, version, platform, project+"_v"+version+exe())
	if err := checkStamp(binary, version); err != nil {
		return err
	}
	unpackedConfig, packedConfig := filepath.Join(work, "unpacked.tfrc"), filepath.Join(work, "packed.tfrc")
	for file, mirror := range map[string]string{unpackedConfig: unpacked, packedConfig: packed} {
		if err := os.WriteFile(file, []byte(mirrorConfig(mirror)), 0o644); err != nil {
			return err
		}
	}

	step("starting moto on loopback with the seed's network")
	moto, err := acctest.StartMoto(ctx, filepath.Join(work, "moto.log"))
	if err != nil {
		return err
	}
	defer moto.Stop()
	network, err := acctest.CreateNetwork(ctx, acctest.EC2Client(moto.URL))
	if err != nil {
		return err
	}
	config, err := os.ReadFile(seed)
	if err != nil {
		return err
	}
	// The provider reaches moto through a recorder, which notes the
	// User-Agent of each call: the provider names its version there.
	rec, err := acctest.StartRecorder(moto.URL)
	if err != nil {
		return err
	}
	defer rec.Stop()
	vars := acctest.SeedVariables(rec.URL, network)
	// A pre-release installs only when pinned exactly; the override file
	// pins it without touching the seed.
	pin := fmt.Sprintf("terraform {\n  required_providers {\n    ddve = { source = %q, version = %q }\n  }\n}\n", namespace+"/"+name, version)

	for i, spec := range clis {
		kind, path, ok := strings.Cut(spec, "=")
		if !ok || (kind != "terraform" && kind != "tofu") {
			return fmt.Errorf("-cli %q: want terraform=PATH or tofu=PATH", spec)
		}
		host := hosts[0]
		if kind == "tofu" {
			host = hosts[1]
		}
		files := map[string]string{"main.tf": string(config), "pin_override.tf": pin, "terraform.tfvars": vars}
		fresh := filepath.Join(work, fmt.Sprintf("%d-%s", i, filepath.Base(path)))
		locked := fresh + "-locked"
		if err := writeFiles(fresh, files); err != nil {
			return err
		}
		files[".terraform.lock.hcl"] = lockFile(host, version, registryHashes)
		if err := writeFiles(locked, files); err != nil {
			return err
		}
		rec.Reset()
		if err := check(path, fresh, locked, unpackedConfig, packedConfig, version, want); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := checkUserAgents(rec.UserAgents(), version); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	step("release check passed: %s installs from the mirror and plans the seed posture", filepath.Base(archive))
	return nil
}

// check has one CLI install the archive twice and plan the seed posture:
// from the unpacked mirror into a fresh directory, where the lock file it
// writes must hold the archive's h1: hash; and from the packed mirror into
// a directory whose lock file already holds the SHA256SUMS hashes, as after
// a registry install, which the CLI must verify the archive against.
func check(cli, fresh, locked, unpackedConfig, packedConfig, version string, want map[string]bool) error {
	out, err := runCLI(cli, fresh, unpackedConfig, "version")
	if err != nil {
		return err
	}
	step("%s", strings.SplitN(out, "\n", 2)[0])
	if err := initFromMirror(cli, fresh, unpackedConfig, "unpacked", version, want); err != nil {
		return err
	}
	if err := initFromMirror(cli, locked, packedConfig, "packed, lock file from SHA256SUMS", version, want); err != nil {
		return err
	}

	start := time.Now()
	out, err = runCLI(cli, fresh, unpackedConfig, "plan", "-input=false", "-no-color", "-detailed-exitcode", "-lock=false")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		return fmt.Errorf("plan: want changes (exit code 2), got %v\n%s", err, out)
	}
	summary := regexp.MustCompile(`Plan: \d+ to add, \d+ to change, \d+ to destroy\.`).FindString(out)
	if summary != "Plan: 3 to add, 0 to change, 0 to destroy." {
		return fmt.Errorf("plan of the seed posture: %q\n%s", summary, out)
	}
	fmt.Printf("   plan of the seed posture against moto in %s: %s\n", time.Since(start).Round(time.Millisecond), summary)
	return nil
}

// initFromMirror runs init and checks every hash of the lock file it
// leaves against the archive and SHA256SUMS.
func initFromMirror(cli, dir, cliConfig, layout, version string, want map[string]bool) error {
	start := time.Now()
	out, err := runCLI(cli, dir, cliConfig, "init", "-input=false", "-no-color")
	if err != nil {
		return fmt.Errorf("init (%s): %w\n%s", layout, err, out)
	}
	installed := regexp.MustCompile(`- Installed \S+ v\S+ \([a-z ]+\)`).FindString(out)
	fmt.Printf("   init from the %s mirror in %s: %s\n", layout, time.Since(start).Round(time.Millisecond), installed)
	lock, err := os.ReadFile(filepath.Join(dir, ".terraform.lock.hcl"))
	if err != nil {
		return err
	}
	provider, locked, hashes, err := lockedProvider(string(lock))
	if err != nil {
		return err
	}
	if locked != version {
		return fmt.Errorf("lock file pins %s %s, want %s", provider, locked, version)
	}
	if !slices.ContainsFunc(hashes, func(h string) bool { return strings.HasPrefix(h, "h1:") }) {
		return fmt.Errorf("lock file records no h1: hash: %v", hashes)
	}
	for _, h := range hashes {
		if !want[h] {
			return fmt.Errorf("lock file hash %s is neither the archive's h1: nor a zh: line of SHA256SUMS; want one of %v", h, slices.Sorted(maps.Keys(want)))
		}
		fmt.Printf("   lock file: %s %s %s matches\n", provider, locked, h)
	}
	return nil
}

// lockFile is the lock file entry a registry install writes: the version
// and the zh: hashes of every platform's archive.
func lockFile(host, version string, hashes []string) string {
	quoted := make([]string, len(hashes))
	for i, h := range hashes {
		quoted[i] = fmt.Sprintf("    %q,\n", h)
	}
	return fmt.Sprintf("provider %q {\n  version     = %q\n  constraints = %q\n  hashes = [\n%s  ]\n}\n",
		host+"/"+namespace+"/"+name, version, version, strings.Join(quoted, ""))
}

func writeFiles(dir string, files map[string]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for file, content := range files {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string) error {
	raw, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, raw, 0o644)
}

func runCLI(cli, dir, cliConfig string, args ...string) (string, error) {
	c := exec.Command(cli, args...)
	c.Dir = dir
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		// Nothing of the caller's CLI setup may help the install.
		return strings.HasPrefix(kv, "TF_") || strings.HasPrefix(kv, "AWS_")
	})
	c.Env = append(env, "TF_CLI_CONFIG_FILE="+cliConfig, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"AWS_ACCESS_KEY_ID=release-check", "AWS_SECRET_ACCESS_KEY=release-check", "AWS_REGION="+acctest.Region,
		"AWS_EC2_METADATA_DISABLED=true")
	out, err := c.CombinedOutput()
	return string(out), err
}

// mirrorConfig is a CLI configuration that installs ddvelabs/ddve from the
// mirror only, and anything else as usual.
func mirrorConfig(mirror string) string {
	var sources []string
	for _, host := range hosts {
		sources = append(sources, fmt.Sprintf("%q", host+"/"+namespace+"/"+name))
	}
	list := "[" + strings.Join(sources, ", ") + "]"
	return fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = %s\n  }\n  direct {\n    exclude = %s\n  }\n}\n", mirror, list, list)
}

var (
	lockBlock  = regexp.MustCompile(`provider "([^"]+/` + namespace + `/` + name + `)" \{([^}]*)\}`)
	lockVer    = regexp.MustCompile(`version\s*=\s*"([^"]+)"`)
	lockHashes = regexp.MustCompile(`"((?:h1|zh):[^"]+)"`)
)

// lockedProvider reads the provider's entry from a lock file.
func lockedProvider(lock string) (provider, version string, hashes []string, err error) {
	m := lockBlock.FindStringSubmatch(lock)
	if m == nil {
		return "", "", nil, fmt.Errorf("lock file has no %s/%s entry:\n%s", namespace, name, lock)
	}
	if v := lockVer.FindStringSubmatch(m[2]); v != nil {
		version = v[1]
	}
	for _, h := range lockHashes.FindAllStringSubmatch(m[2], -1) {
		hashes = append(hashes, h[1])
	}
	return m[1], version, hashes, nil
}

// distVersion is the version goreleaser stamped into this dist.
func distVersion(dist string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err != nil {
		return "", fmt.Errorf("no goreleaser output in %s: %w", dist, err)
	}
	var meta struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil || meta.Version == "" {
		return "", fmt.Errorf("reading %s/metadata.json: %v", dist, err)
	}
	return meta.Version, nil
}

func readSums(file string) (map[string]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sums := map[string]string{}
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) == 2 {
			sums[fields[1]] = fields[0]
		}
	}
	return sums, scanner.Err()
}

// checkManifest checks that the registry manifest is listed and says the
// provider speaks protocol 6.
func checkManifest(manifest, file string, sums map[string]string) error {
	if _, ok := sums[manifest]; !ok {
		return fmt.Errorf("SHA256SUMS does not list %s", manifest)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var m struct {
		Version  int `json:"version"`
		Metadata struct {
			ProtocolVersions []string `json:"protocol_versions"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("%s: %w", manifest, err)
	}
	if m.Version != 1 || !slices.Equal(m.Metadata.ProtocolVersions, []string{"6.0"}) {
		return fmt.Errorf("%s: want version 1 and protocol 6.0, got %s", manifest, raw)
	}
	fmt.Printf("   %s: protocol %v\n", manifest, m.Metadata.ProtocolVersions)
	return nil
}

// checkStamp checks that the version was linked into the binary, where the
// provider reports it (and puts it into its User-Agent). -trimpath keeps
// -ldflags out of the build info, so the string itself is looked for.
func checkStamp(binary, version string) error {
	info, err := buildinfo.ReadFile(binary)
	if err != nil {
		return fmt.Errorf("reading build info of %s: %w", binary, err)
	}
	raw, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	if !bytes.Contains(raw, []byte(version)) {
		return fmt.Errorf("%s does not hold its version %s: was it built with -X main.version?", binary, version)
	}
	fmt.Printf("   %s: built by %s, holds version %s\n", filepath.Base(binary), info.GoVersion, version)
	return nil
}

func unzip(archive, dir string) error {
	r, err := zip.OpenReader(archive)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range r.File {
		if f.FileInfo().IsDir() || strings.Contains(f.Name, "/") || strings.Contains(f.Name, `\`) {
			return fmt.Errorf("%s: unexpected entry %q: the archive holds the binary alone", archive, f.Name)
		}
		if err := extract(f, filepath.Join(dir, f.Name)); err != nil {
			return err
		}
	}
	return nil
}

func extract(f *zip.File, to string) error {
	in, err := f.Open()
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func fileSHA256(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func exists(file string) bool {
	_, err := os.Stat(file)
	return err == nil
}

func exe() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

func step(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

// verifySignature checks the detached signature of SHA256SUMS with gpg, as
// the registries do with the key on the publisher's account; when a
// fingerprint is given, the signing key or its primary key must be that
// one (in any spelling gpg's --local-user takes: spaced, 0x-prefixed,
// ending in "!", or a long key ID).
func verifySignature(sums, sig, fingerprint string) error {
	out, err := exec.Command("gpg", "--batch", "--status-fd", "1", "--verify", sig, sums).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s does not verify: %w\n%s", filepath.Base(sig), err, out)
	}
	signer, primary, ok := validSigner(string(out), fingerprint)
	if signer == "" {
		return fmt.Errorf("gpg verified %s but named no valid signature:\n%s", filepath.Base(sig), out)
	}
	if !ok {
		return fmt.Errorf("%s is signed by %s (primary key %s), not by GPG_FINGERPRINT %s", filepath.Base(sig), signer, primary, fingerprint)
	}
	fmt.Printf("   SHA256SUMS is signed by %s: %s verifies\n", primary, filepath.Base(sig))
	return nil
}

// validSigner reads the signing key and its primary key from gpg's
// status output ("[GNUPG:] VALIDSIG <signing key> <date> ... <primary
// key>") and reports whether either is the fingerprint (any key when it is
// empty). signer is empty when no valid signature is listed.
func validSigner(status, fingerprint string) (signer, primary string, ok bool) {
	line := regexp.MustCompile(`(?m)^\[GNUPG:\] VALIDSIG (.*)$`).FindStringSubmatch(status)
	if line == nil {
		return "", "", false
	}
	fields := strings.Fields(line[1])
	if len(fields) == 0 {
		return "", "", false
	}
	signer, primary = fields[0], fields[len(fields)-1]
	want := strings.ToUpper(strings.ReplaceAll(fingerprint, " ", ""))
	want = strings.TrimSuffix(strings.TrimPrefix(want, "0X"), "!")
	return signer, primary, want == "" || strings.HasSuffix(signer, want) || strings.HasSuffix(primary, want)
}

// checkUserAgents requires that the plan called EC2 and that every call
// named the provider at the release's version: the build that answered is
// the one released, which a search of the binary for the version string
// cannot prove.
func checkUserAgents(agents []string, version string) error {
	want := project + "/" + version
	if len(agents) == 0 {
		return errors.New("the plan made no EC2 call")
	}
	for _, agent := range agents {
		if !slices.Contains(strings.Fields(agent), want) {
			return fmt.Errorf("an EC2 call's User-Agent %q does not name %s; all seen: %q", agent, want, agents)
		}
	}
	fmt.Printf("   the plan's EC2 calls name %s\n", want)
	return nil
}
