# Every profile, with its flows and where their replies go.
data "ddve_port_profiles" "all" {}

# Only some profiles, in catalog order.
data "ddve_port_profiles" "storage" {
  names = ["ddboost", "nfs"]
}

# A table of the flows, as "profile: in tcp 2049 (replies to ephemeral, 512-1023)".
output "flows" {
  value = flatten([
    for p in data.ddve_port_profiles.storage.profiles : [
      for f in p.flows : format("%s: %s %s %d (replies to %s)", p.name, f.direction, f.protocol, f.from_port,
      length(f.reply_ports) > 0 ? join(", ", f.reply_ports) : "nothing: one-way")
    ]
  ])
}

# Why a port you expected is missing.
output "why_not_telnet" {
  value = [for o in data.ddve_port_profiles.all.omitted : o.reason if o.protocol == "tcp" && o.ports == "23"]
}
