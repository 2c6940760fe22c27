#!/usr/bin/env python3
"""Broker benchmark driver (issue 4): iperf3 loopback, then vltava and librdkafka's mock cluster
back to back on every case, then a table of absolute numbers and ratios against the goals.

Run through bench/broker/run.sh, which builds the three binaries this needs."""
import argparse
import json
import os
import resource
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {timeout_s} s")


def cpu_s(pid):
    """utime + stime of a process, in seconds (fields 14 and 15 of /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def api_versions_v0(sock, correlation_id):
    """Sends ApiVersions v0 and reads the whole answer (the connection completed the handshake
    every Kafka client starts with)."""
    client = b"bench"
    body = struct.pack(">hhih", 18, 0, correlation_id, len(client)) + client
    sock.sendall(struct.pack(">i", len(body)) + body)
    size = struct.unpack(">i", recv_exact(sock, 4))[0]
    answer = recv_exact(sock, size)
    got_id, error = struct.unpack(">ih", answer[:6])
    if got_id != correlation_id or error != 0:
        raise RuntimeError(f"ApiVersions answer: correlation {got_id}, error {error}")


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise RuntimeError("connection closed")
        data += chunk
    return data


def measure_rss(pid, port, connections):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    time.sleep(2)
    idle = rss_mib(pid)
    socks = []
    try:
        for i in range(connections):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            api_versions_v0(s, i + 1)
            socks.append(s)
        time.sleep(2)
        loaded = rss_mib(pid)
    finally:
        for s in socks:
            s.close()
    return {"idle_rss_mib": round(idle, 1), "rss_1000_conns_mib": round(loaded, 1),
            "delta_mib": round(loaded - idle, 1), "connections": len(socks)}


def iperf3(seconds):
    port = free_port()
    server = subprocess.Popen(["iperf3", "-s", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # No connection probe: iperf3's server would take it for a client and stay busy.
        for _ in range(50):
            out = subprocess.run(["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t",
                                  str(seconds), "-J"], capture_output=True, text=True, timeout=60)
            answer = json.loads(out.stdout or "{}")
            if "error" not in answer and out.returncode == 0:
                bps = answer["end"]["sum_received"]["bits_per_second"]
                return round(bps / 8 / 1e6, 1)
            time.sleep(0.2)
        raise RuntimeError(f"iperf3: {answer.get('error')}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def pagecache_write(directory, mib):
    """MB/s of writing `mib` MiB in 1 MiB writes to a new file (no fsync), as the log does, then
    over the same (now cached) pages again. The first is a ceiling for produce where fresh
    page-cache memory is slow to touch: on this VM the balloon driver reports free guest pages
    to the host, which backs each again on first touch (~250-500 MB/s, against ~5 GB/s for
    the second pass)."""
    path = os.path.join(directory, "pagecache-probe")
    chunk = os.urandom(1 << 20)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    rates = []
    try:
        for _ in ("new pages", "the same pages again"):
            start = time.monotonic()
            for i in range(mib):
                os.pwrite(fd, chunk, i << 20)
            rates.append(round(mib * (1 << 20) / (time.monotonic() - start) / 1e6, 1))
    finally:
        os.close(fd)
        os.unlink(path)
    return rates


class Target:
    def __init__(self, name, proc, bootstrap):
        self.name, self.proc, self.bootstrap = name, proc, bootstrap

    def alive(self):
        return self.proc.poll() is None


def run_kbench(args, target, argv):
    """Runs kbench against target; returns its JSON plus the broker's CPU seconds meanwhile."""
    before = cpu_s(target.proc.pid)
    try:
        out = subprocess.run([args.kbench, argv[0], "-b", target.bootstrap] + argv[1:],
                             capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return {"error": "kbench timed out after 300 s"}
    after = cpu_s(target.proc.pid) if target.alive() else float("nan")
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    result["broker_cpu_s"] = round(after - before, 2)
    if out.returncode != 0:
        result["error"] = f"kbench exit {out.returncode}: " + out.stderr.strip()[-400:]
    if not target.alive():
        result["error"] = f"{target.name} died with {target.proc.returncode}"
    return result


def run_fetchbench(args, target, topic, connections, seconds, extra=()):
    """The lean fetch client (fetchbench.c) on a filled partition; its JSON plus broker CPU."""
    before = cpu_s(target.proc.pid)
    out = subprocess.run([args.fetchbench, "-b", target.bootstrap, "-t", topic, "-c",
                          str(connections), "-d", str(seconds)] + list(extra),
                         capture_output=True, text=True, timeout=seconds + 60)
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    result["broker_cpu_s"] = round(cpu_s(target.proc.pid) - before, 2)
    if out.returncode != 0:
        result["error"] = f"fetchbench exit {out.returncode}: " + out.stderr.strip()[-400:]
    return result


def lean_vs_mock(args, targets, case):
    """Both brokers under the lean client, alternating: the consume case's window (the last
    WINDOW messages, all the mock keeps) re-read at 1 MiB per fetch as librdkafka asks, and
    empty fetches at the log end (max_wait 0), whose time is the broker's round trip."""
    start = case["produce_n"] - case["window"]
    out = {t.name: {"window": [], "empty": []} for t in targets}
    for i in range(3):
        for t in (targets if i % 2 == 0 else targets[::-1]):
            out[t.name]["window"].append(run_fetchbench(
                args, t, case["topic"], 1, 2, ["-s", str(start), "-m", "1048576"]))
            out[t.name]["empty"].append(run_fetchbench(args, t, case["topic"], 1, 1,
                                                        ["-e", "-s", str(start)]))
    return out


def cases(scale):
    for size, produce_n, consume_n, window in ((1024, 200000, 1000000, 4000),
                                                (100, 1000000, 2000000, 40000)):
        for acks in ("1", "-1"):
            for compression in ("none", "lz4"):
                yield {"size": size, "acks": acks, "compression": compression,
                       "produce_n": int(produce_n * scale), "consume_n": int(consume_n * scale),
                       "window": window, "topic": f"p{size}-a{acks.replace('-', 'm')}-{compression}"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vltava", required=True)
    ap.add_argument("--kbench", required=True)
    ap.add_argument("--mock", required=True)
    ap.add_argument("--fetchbench", required=True)
    ap.add_argument("--out", required=True, help="results JSON")
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the message counts")
    ap.add_argument("--rounds", type=int, default=2, help="runs of each case on each broker")
    args = ap.parse_args()

    info = {"date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "nproc": os.cpu_count(),
            "load_before": os.getloadavg()[0],
            "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                     text=True, cwd=os.path.dirname(__file__)).stdout.strip()}
    results = {"info": info, "cases": [], "e2e": {}}
    print(f"# {info}", flush=True)
    results["iperf3_mb_per_s"] = iperf3(5)
    print(f"iperf3 loopback: {results['iperf3_mb_per_s']} MB/s", flush=True)

    data_dir = tempfile.mkdtemp(prefix="vltava-bench-")
    results["pagecache_write_mb_per_s"], results["pagecache_overwrite_mb_per_s"] = \
        pagecache_write(data_dir, 256)
    print(f"page-cache write of a new 256 MiB file: {results['pagecache_write_mb_per_s']} MB/s, "
          f"over it again {results['pagecache_overwrite_mb_per_s']} MB/s", flush=True)
    port = free_port()
    log = open(os.path.join(data_dir, "serve.log"), "w")
    vltava = subprocess.Popen([args.vltava, "serve", "--set", f"log.dir={data_dir}/data", "--set",
                               f"listeners=PLAINTEXT://127.0.0.1:{port}"],
                              stdout=log, stderr=subprocess.STDOUT)
    all_topics = [c["topic"] for c in cases(args.scale)] + ["e2e", "e2e-acks-all"]
    mock = subprocess.Popen([args.mock] + all_topics, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        wait_port(port, vltava)
        mock_bootstrap = mock.stdout.readline().strip()
        results["rss"] = measure_rss(vltava.pid, port, 1000)
        print(f"vltava RSS: {results['rss']}", flush=True)
        targets = [Target("vltava", vltava, f"127.0.0.1:{port}"),
                   Target("mock", mock, mock_bootstrap)]
        # Latency at a fixed rate, where the broker (not a full client queue) sets it: e2e and
        # produce->ack, with acks=1 and acks=all; first, while new page-cache pages are fast.
        for key, acks in (("e2e", "1"), ("e2e_acks_all", "-1")):
            results.setdefault(key, {})
            for target in targets:
                results[key][target.name] = run_kbench(
                    args, target, ["e2e", "-t", key.replace("_", "-"), "-r", "1000", "-d", "10",
                                   "-s", "1024", "-l", "1", "-a", acks])
                print(target.name, key, json.dumps(results[key][target.name]), flush=True)
        # Rounds outside, cases inside, alternating which broker goes first: single runs move
        # by 20-50 % on this shared machine, and on this VM the page cache gets slower to grow
        # as the run writes gigabytes (new pages come from memory handed back to the host), so
        # every case sees each stage of the run once. The table keeps medians and the range of
        # the per-round ratios (each round's pair ran back to back).
        rows = []
        for case in cases(args.scale):
            row = dict(case)
            for target in targets:
                row[target.name] = {"runs": []}
            rows.append(row)
        for k in range(args.rounds):
            for i, row in enumerate(rows):
                # How fast new page-cache pages are right now (32 MiB): the produce rows follow it.
                row.setdefault("new_pages_mb_per_s", []).append(
                    pagecache_write(data_dir, 32)[0])
                for target in (targets if (i + k) % 2 == 0 else targets[::-1]):
                    row[target.name]["runs"].append({
                        "produce": run_kbench(args, target, [
                            "produce", "-t", row["topic"], "-n", str(row["produce_n"]), "-s",
                            str(row["size"]), "-a", row["acks"], "-z", row["compression"]]),
                        "consume": run_kbench(args, target, [
                            "consume", "-t", row["topic"], "-n", str(row["consume_n"]), "-w",
                            str(row["window"])])})
                print(json.dumps({"round": k, "topic": row["topic"],
                                  **{t.name: row[t.name]["runs"][-1] for t in targets}}),
                      flush=True)
                if k == 0 and row["size"] == 1024 and row["acks"] == "1" and \
                        row["compression"] == "none":
                    # The broker's fetch rate, without librdkafka's per-message cost: re-reads
                    # the ~200 MB this case produced (page cache), on one connection and on
                    # two. Three 3 s runs each: single runs move by 2-4x with where the
                    # scheduler puts the client next to the broker's shard threads.
                    results["fetch"] = [run_fetchbench(args, targets[0], row["topic"], c, 3)
                                        for c in (1, 2) for _ in range(3)]
                    print("fetchbench", json.dumps(results["fetch"]), flush=True)
                    results["fetch_vs_mock"] = lean_vs_mock(args, targets, row)
                    print("fetchbench vs mock", json.dumps(results["fetch_vs_mock"]), flush=True)
        for row in rows:
            for target in targets:
                runs = row[target.name]["runs"]
                for test in ("produce", "consume"):
                    row[target.name][test] = summary([r[test] for r in runs])
            results["cases"].append(row)
        results["vltava_total_cpu_s"] = round(cpu_s(vltava.pid), 1)
        # The same probe with the run's gigabytes in the page cache: how fast new pages are now.
        results["pagecache_end_mb_per_s"] = pagecache_write(data_dir, 256)[0]
        results["mock_total_cpu_s"] = round(cpu_s(mock.pid), 1)
    finally:
        info["load_after"] = os.getloadavg()[0]
        vltava.terminate()
        results["vltava_exit"] = vltava.wait(timeout=60)
        mock.stdin.close()
        mock.wait(timeout=30)
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)
        shutil.rmtree(data_dir, ignore_errors=True)
    print(report(results))


def median(xs):
    xs = sorted(xs)
    return (xs[(len(xs) - 1) // 2] + xs[len(xs) // 2]) / 2


def ratio(a, b):
    return a / b if a and b else float("nan")


def summary(runs):
    """The median of each figure over a case's rounds; an error in any round is kept."""
    out = {}
    for key in ("msgs_per_s", "mb_per_s", "p50_ms", "p99_ms", "p999_ms", "broker_cpu_s"):
        values = [r[key] for r in runs if key in r]
        if values:
            out[key] = round(median(values), 3)
    errors = [r["error"] for r in runs if "error" in r]
    if errors:
        out["error"] = errors[0]
    return out


def round_ratios(case, test, key):
    """vltava / mock per round (old single-run results: one pair)."""
    def runs(name):
        return [r[test] for r in case[name].get("runs", [])] or [case[name][test]]
    return [ratio(v.get(key), m.get(key)) for v, m in zip(runs("vltava"), runs("mock"))]


def ratio_cell(case, test, key):
    rs = round_ratios(case, test, key)
    if len(rs) == 1:
        return f"{rs[0]:.2f}"
    return f"{median(rs):.2f}; {min(rs):.2f}-{max(rs):.2f}"


def report(r):
    """The markdown table for bench/README.md."""
    i = r["info"]
    rounds = len(r["cases"][0]["vltava"].get("runs", [])) or 1 if r["cases"] else 1
    out = [f"Run {i['date_utc']} UTC, commit {i['commit']}, nproc {i['nproc']}, load average "
           f"{i['load_before']:.1f} before / {i['load_after']:.1f} after; iperf3 loopback "
           f"{r['iperf3_mb_per_s']:.0f} MB/s; page-cache write of a new 256 MiB file "
           f"{r.get('pagecache_write_mb_per_s', 0):.0f} MB/s (over it again "
           f"{r.get('pagecache_overwrite_mb_per_s', 0):.0f} MB/s; new pages at the end of the run "
           f"{r.get('pagecache_end_mb_per_s', 0):.0f} MB/s). Each case {rounds} round(s) "
           f"per broker: medians, and the ratio as the median and range of the rounds' ratios.",
           "",
           "| case | produce msgs/s vltava / mock (ratio; range) | p99 ack ms vltava / mock "
           "(ratio) | consume MB/s vltava / mock (ratio; range) | broker CPU s vltava / mock "
           "(produce, consume) | new page-cache pages MB/s, each round |",
           "|---|---|---|---|---|---|"]
    for c in r["cases"]:
        v, m = c["vltava"], c["mock"]
        vp, mp, vc, mc = v["produce"], m["produce"], v["consume"], m["consume"]
        flag = " **error**" if any("error" in x for x in (vp, mp, vc, mc)) else ""
        out.append(
            f"| {c['size']} B acks={c['acks']} {c['compression']}{flag} | "
            f"{vp.get('msgs_per_s', 0):,.0f} / {mp.get('msgs_per_s', 0):,.0f} "
            f"({ratio_cell(c, 'produce', 'msgs_per_s')}) | "
            f"{vp.get('p99_ms', -1):.0f} / {mp.get('p99_ms', -1):.0f} "
            f"({median(round_ratios(c, 'produce', 'p99_ms')):.2f}) | "
            f"{vc.get('mb_per_s', 0):.0f} / {mc.get('mb_per_s', 0):.0f} "
            f"({ratio_cell(c, 'consume', 'mb_per_s')}) | "
            f"{vp.get('broker_cpu_s', 0):.2f}, {vc.get('broker_cpu_s', 0):.2f} / "
            f"{mp.get('broker_cpu_s', 0):.2f}, {mc.get('broker_cpu_s', 0):.2f} | "
            f"{', '.join(f'{x:,.0f}' for x in c.get('new_pages_mb_per_s', []))} |")
    out += ["", "| 1 KiB at 1000 msg/s, linger 1 ms | end-to-end p50 / p99 / p99.9 ms | "
            "produce→ack p50 / p99 / p99.9 ms | broker CPU s |", "|---|---|---|---|"]
    for key, acks in (("e2e", "1"), ("e2e_acks_all", "all")):
        for name in ("vltava", "mock"):
            x = r.get(key, {}).get(name, {})
            if not x:
                continue
            ack = (f"{x.get('ack_p50_ms', -1):.2f} / {x.get('ack_p99_ms', -1):.2f} / "
                   f"{x.get('ack_p999_ms', -1):.2f}" if "ack_p99_ms" in x else "—")
            out.append(f"| {name}, acks={acks} | {x.get('p50_ms', -1):.1f} / "
                       f"{x.get('p99_ms', -1):.1f} / {x.get('p999_ms', -1):.1f} | {ack} | "
                       f"{x.get('broker_cpu_s', '')} |")
    if r.get("fetch"):
        out += ["", "| fetchbench (Fetch v11, 1 KiB records, page cache), 3 × 3 s | MB/s each run "
                "| median of iperf3 | broker CPU s each run |", "|---|---|---|---|"]
        for c in sorted({x.get("connections") for x in r["fetch"]}):
            runs = [x for x in r["fetch"] if x.get("connections") == c]
            flag = " **error**" if any("error" in x for x in runs) else ""
            mbs = [x.get("mb_per_s", 0) for x in runs]
            out.append(f"| vltava, {c} connection(s){flag} | "
                       f"{', '.join(f'{m:,.0f}' for m in mbs)} | "
                       f"{median(mbs) / r['iperf3_mb_per_s']:.2f} | "
                       f"{', '.join(str(x.get('broker_cpu_s')) for x in runs)} |")
    if r.get("fetch_vs_mock"):
        fv = r["fetch_vs_mock"]
        out += ["", "| fetchbench, 1 connection, vltava / mock (3 runs each, alternating) | "
                "vltava | mock | ratio of medians |", "|---|---|---|---|"]
        for key, field, label, fmt in (
                ("window", "mb_per_s", "re-read the consume case's window, 1 MiB per fetch, MB/s",
                 "{:,.0f}"),
                ("empty", "us_per_fetch", "empty fetch at the log end, µs per round trip",
                 "{:.0f}")):
            v = [x.get(field, 0) for x in fv["vltava"][key]]
            m = [x.get(field, 0) for x in fv["mock"][key]]
            flag = " **error**" if any("error" in x for x in fv["vltava"][key] + fv["mock"][key]) \
                else ""
            out.append(f"| {label}{flag} | {', '.join(fmt.format(x) for x in v)} | "
                       f"{', '.join(fmt.format(x) for x in m)} | {ratio(median(v), median(m)):.2f} |")
    rss = r.get("rss", {})
    out += ["", f"vltava RSS idle {rss.get('idle_rss_mib')} MiB; with 1000 idle connections "
            f"(ApiVersions done) {rss.get('rss_1000_conns_mib')} MiB "
            f"(+{rss.get('delta_mib')} MiB). Broker CPU over the whole run: vltava "
            f"{r.get('vltava_total_cpu_s')} s, mock {r.get('mock_total_cpu_s')} s."]
    out += ["", goals(r)]
    return "\n".join(out)


def goals(r):
    rows = ["| goal | measured | met |", "|---|---|---|"]

    def add(name, value, ok):
        rows.append(f"| {name} | {value} | {'yes' if ok else '**no**'} |")

    cs = r["cases"]
    # Per case, the median of its rounds' ratios.
    prod = [median(round_ratios(c, "produce", "msgs_per_s")) for c in cs]
    cons = [median(round_ratios(c, "consume", "mb_per_s")) for c in cs]
    add("produce ≥ 0.80 × mock (every case)", f"min {min(prod):.2f}, max {max(prod):.2f}",
        min(prod) >= 0.8)
    add("consume ≥ 1.00 × mock (every case)", f"min {min(cons):.2f}, max {max(cons):.2f}",
        min(cons) >= 1.0)
    kib = max(c["vltava"]["consume"].get("mb_per_s", 0) for c in cs if c["size"] == 1024)
    one = [x.get("mb_per_s", 0) for x in r.get("fetch", []) if x.get("connections") == 1]
    lean = median(one) if one else 0
    ip = r["iperf3_mb_per_s"]
    add("consume 1 KiB ≥ 0.50 × iperf3", f"fetchbench, 1 connection, median {lean:.0f} MB/s = "
        f"{lean / ip:.2f}; librdkafka {kib:.0f} MB/s = {kib / ip:.2f}", lean / ip >= 0.5)
    p99 = [median(round_ratios(c, "produce", "p99_ms")) for c in cs]
    add("produce→ack p99 ≤ mock, throughput runs (every case; time in the full 32 MiB client "
        "queue)", f"vltava/mock max {max(p99):.2f}", max(p99) <= 1.0)
    for key, acks in (("e2e", "1"), ("e2e_acks_all", "all")):
        e = r.get(key, {})
        av, am = e.get("vltava", {}).get("ack_p99_ms"), e.get("mock", {}).get("ack_p99_ms")
        if av is not None and am is not None:
            add(f"produce→ack p99 ≤ mock at 1000 msg/s, acks={acks}", f"{av} / {am} ms",
                av <= am)
        ev, em = e.get("vltava", {}).get("p99_ms"), e.get("mock", {}).get("p99_ms")
        if ev is not None:
            add(f"end-to-end p99 ≤ mock, acks={acks}", f"{ev} / {em} ms",
                em is not None and ev <= em)
    rss = r.get("rss", {})
    add("idle RSS ≤ 50 MiB", f"{rss.get('idle_rss_mib')} MiB", rss.get("idle_rss_mib", 1e9) <= 50)
    add("+1000 idle connections ≤ 100 MiB", f"+{rss.get('delta_mib')} MiB",
        rss.get("delta_mib", 1e9) <= 100)
    return "\n".join(rows)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--report":
        with open(sys.argv[2]) as f:
            print(report(json.load(f)))
    else:
        main()
