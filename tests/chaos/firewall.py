"""Network partitions between nodes on loopback addresses, with nftables rules on the loopback
interface matching address pairs (nodes connect to each other from their own 127.0.0.N; clients
connect from 127.0.0.1 and are never cut off). Everything lives in one table per user of this
module, deleted to heal; nothing ever leaves 127.0.0.0/8. Needs root and nft (scripts/deps
installs nftables)."""

import os
import shutil
import subprocess


class Firewall:
    def __init__(self, table):
        self.table = table

    def usable(self):
        """None when rules can be set here, else why not."""
        if os.geteuid() != 0:
            return "nftables rules need root"
        if shutil.which("nft") is None:
            return "nft is missing (scripts/deps installs nftables)"
        self.heal()  # a table left by a killed run
        probe = subprocess.run(["nft", "add", "table", "inet", self.table],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            return "nft cannot add a table here: %s" % probe.stderr.strip()
        self.heal()
        return None

    def cut(self, side_a, side_b):
        """Drops every packet between a host of side_a and a host of side_b, both ways; the
        hosts within one side still reach each other. Replaces any earlier cut."""
        a, b = ", ".join(side_a), ", ".join(side_b)
        self.heal()
        script = """table inet %(t)s {
  chain out {
    type filter hook output priority filter; policy accept;
    oifname "lo" ip saddr { %(a)s } ip daddr { %(b)s } drop
    oifname "lo" ip saddr { %(b)s } ip daddr { %(a)s } drop
  }
}
""" % {"t": self.table, "a": a, "b": b}
        subprocess.run(["nft", "-f", "-"], input=script, text=True, check=True,
                       capture_output=True)

    def heal(self):
        subprocess.run(["nft", "delete", "table", "inet", self.table], capture_output=True)
