#!/usr/bin/env python3
"""The cluster over HTTP (docs/deploy.md): deploy/cluster.sh's PostgreSQL, two ratel-servers
and HAProxy, in a fresh folder, then checks what SPEC §12 promises of several servers:

1. charges sent through both servers at once (every id to both) sum exactly, each id once;
2. sessions started through both at once never reserve more than the payer has, and end
   through the other server;
3. a change through one server is seen by the other within 1 s (p50/p99 printed);
4. `kill -9` of one server under load, then everything resent through the other: nothing
   lost, nothing charged twice;
5. PostgreSQL stopped under load: writes 503 and /healthz 503 while it is down, reads go on;
   started again, the servers recover without a restart; every acknowledged charge is in
   the database once.
Exits 1 on the first failed check. Usage: python3 deploy/cluster_test.py (about a minute).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "demo-token-change-me"
SERVERS = ["http://127.0.0.1:18081", "http://127.0.0.1:18082"]
ADMINS = ["http://127.0.0.1:19091", "http://127.0.0.1:19092"]
PROXY = "http://127.0.0.1:18080"
DIR = tempfile.mkdtemp(prefix="ratel-cluster-")
# PostgreSQL runs as its own user (as root: postgres), which must reach its folder inside.
os.chmod(DIR, 0o755)
ENV = dict(os.environ, RATEL_CLUSTER_DIR=DIR)
PGBIN = sorted(
    (os.path.join("/usr/lib/postgresql", v, "bin") for v in os.listdir("/usr/lib/postgresql")),
    key=lambda p: int(p.split("/")[-2]),
)[-1] if os.path.isdir("/usr/lib/postgresql") else ""


def fail(message):
    print(f"FAIL {message}", flush=True)
    sys.exit(1)


def ok(message):
    print(f"ok   {message}", flush=True)


def request(base, path, body=None, timeout=5):
    """(status, parsed JSON or text) of one request; (0, reason) when no answer came."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data,
                                 headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            status, text = answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
        return 0, str(error)
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def charge(base, call_id, account, billsec):
    call = {"id": call_id, "account": account, "number": "37061234567",
            "start": "2026-11-26 10:00:00", "billsec": billsec}
    status, answer = request(base, "/v1/calls", {"calls": [call]})
    if status == 200:
        return status, answer["results"][0]
    return status, answer


def balance(base, account):
    status, answer = request(base, f"/v1/balance?account={account}")
    if status != 200:
        fail(f"balance of {account} at {base}: {status} {answer}")
    return Decimal(answer["balance"]), Decimal(answer["reserved"])


def metric(admin, name):
    """The value of metric `name` in `admin`'s /metrics, as text (None when absent)."""
    status, text = request(admin, "/metrics")
    for line in str(text).splitlines() if status == 200 else []:
        if line.startswith(name + " "):
            return line.split()[1]
    return None


def psql(sql):
    runas = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    out = subprocess.run(runas + [f"{PGBIN}/psql", "-h", f"{DIR}/pg", "-U", "ratel", "-d", "ratel",
                                  "-qAtX", "-c", sql], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def pg_ctl(*args):
    runas = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(runas + [f"{PGBIN}/pg_ctl", "-D", f"{DIR}/pg/data", *args],
                   check=True, capture_output=True)


def cluster(*args):
    subprocess.run(["bash", f"{ROOT}/deploy/cluster.sh", *args], env=ENV, check=True,
                   stdout=subprocess.DEVNULL)


def start_server(n):
    log = open(f"{DIR}/server{n}.log", "a")
    process = subprocess.Popen([f"{ROOT}/target/release/ratel-server", "--config",
                                f"{DIR}/server{n}.toml"], stdout=log, stderr=log)
    with open(f"{DIR}/server{n}.pid", "w") as pid:
        pid.write(str(process.pid))
    for _ in range(100):
        if request(ADMINS[n - 1], "/healthz")[0] == 200:
            return process
        time.sleep(0.1)
    fail(f"server {n} did not come back")


def in_parallel(work, count):
    results = [None] * count
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, work(i)))
               for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def settled(check, within=1.0):
    started = time.monotonic()
    while time.monotonic() - started < within:
        if check():
            return time.monotonic() - started
        time.sleep(0.002)
    return time.monotonic() - started if check() else None


def test_charges_sum_exactly():
    opening = balance(SERVERS[0], "alice")[0]

    def worker(t):
        acked = []
        for i in range(60):
            status, result = charge(SERVERS[t % 2], f"sum-{t // 2}-{i}", "alice", 1 + i % 7)
            if status != 200 or "cost" not in result:
                fail(f"charge: {status} {result}")
            if not result["duplicate"]:
                acked.append((result["id"], Decimal(result["cost"])))
        return acked

    acked = [a for batch in in_parallel(worker, 8) for a in batch]
    ids = [a[0] for a in acked]
    if len(ids) != len(set(ids)) or len(ids) != 4 * 60:
        fail(f"each id charged once: {len(ids)} acknowledged, {len(set(ids))} distinct")
    expected = opening - sum(cost for _, cost in acked)
    for base in SERVERS + [PROXY]:
        if settled(lambda b=base: balance(b, "alice")[0] == expected) is None:
            fail(f"alice at {base}: {balance(base, 'alice')[0]}, expected {expected}")
    stored = Decimal(psql("SELECT balance FROM accounts WHERE account = 'user:3'"))
    if stored != expected:
        fail(f"alice in PostgreSQL: {stored}, expected {expected}")
    ok(f"240 ids sent to both servers at once by 8 clients: each charged once, alice "
       f"{opening} -> {expected} on both servers, through HAProxy and in PostgreSQL")


def test_sessions_never_over_reserve():
    before = balance(SERVERS[0], "dave")[0]

    def worker(t):
        status, answer = request(SERVERS[t % 2], "/v1/sessions",
                                 {"id": f"ses-{t}", "account": "dave", "number": "37061234567"})
        return t, status, answer

    answers = in_parallel(worker, 40)
    granted = [(t, a) for t, s, a in answers if s == 200 and a.get("allowed")]
    reserved = sum(Decimal(a["reserved"]) for _, a in granted)
    if not granted or reserved > before:
        fail(f"dave ({before}) holds {reserved} in {len(granted)} sessions")
    for base in SERVERS:
        held = settled(lambda b=base: balance(b, "dave")[1] == reserved)
        if held is None:
            fail(f"dave's reservations at {base}: {balance(base, 'dave')}, expected {reserved}")
    total = Decimal(0)
    for t, answer in granted:
        status, ended = request(SERVERS[1 - t % 2], "/v1/sessions/end",
                                {"id": answer["id"], "billsec": 10})
        if status != 200:
            fail(f"end of {answer['id']} through the other server: {status} {ended}")
        total += Decimal(ended["cost"])
    for base in SERVERS:
        if settled(lambda b=base: balance(b, "dave") == (before - total, 0)) is None:
            fail(f"dave at {base}: {balance(base, 'dave')}, expected {before - total}, 0")
    ok(f"40 session starts on dave ({before}) through both servers: {len(granted)} granted "
       f"holding {reserved}, the rest refused; ended through the other server, charged {total}")


def test_seen_within_a_second():
    delays = []
    for i in range(60):
        status, result = charge(SERVERS[i % 2], f"seen-{i}", "alice", 1)
        if status != 200 or "balance" not in result:
            fail(f"charge: {status} {result}")
        after = Decimal(result["balance"])
        delay = settled(lambda b=SERVERS[1 - i % 2]: balance(b, "alice")[0] == after)
        if delay is None:
            fail("a change was not seen by the other server within 1 s")
        delays.append(delay)
    delays.sort()
    ok(f"a change through one server is seen by the other after p50 "
       f"{delays[len(delays) // 2] * 1000:.1f} ms, p99 {delays[len(delays) * 99 // 100] * 1000:.1f} ms, "
       f"max {delays[-1] * 1000:.1f} ms (60 changes, polled every 2 ms)")


def under_load(name, during, clients=6, seconds=3.0):
    """Charges `clients` clients send for `seconds` (ids `name-c-i`) through both servers,
    while `during()` runs; every id sent, and the answers acknowledged (id -> cost)."""
    stop = time.monotonic() + seconds
    sent, acked, lock = [], {}, threading.Lock()

    def worker(c):
        i = 0
        while time.monotonic() < stop:
            call_id = f"{name}-{c}-{i}"
            i += 1
            with lock:
                sent.append(call_id)
            status, result = charge(SERVERS[c % 2], call_id, "bob", 3, )
            if status == 200 and "cost" in result and not result["duplicate"]:
                with lock:
                    acked[call_id] = Decimal(result["cost"])

    threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(seconds / 3)
    during()
    for thread in threads:
        thread.join()
    return sent, acked


def resend_all(sent, base):
    """Every id sent, resent through `base` until answered: id -> (cost, duplicate). A
    duplicate was applied before, even if its first answer was lost with the connection."""
    charged = {}
    for call_id in sent:
        for _ in range(50):
            status, result = charge(base, call_id, "bob", 3)
            if status == 200:
                break
            time.sleep(0.1)
        if status != 200 or "cost" not in result:
            fail(f"resend {call_id}: {status} {result}")
        charged[call_id] = (Decimal(result["cost"]), result["duplicate"])
    return charged


def check_once(prefix, sent, acked, resent):
    rows = psql(f"SELECT count(*), count(DISTINCT reference) FROM entries "
                f"WHERE kind = 'call' AND reference LIKE '{prefix}-%'")
    if rows != f"{len(sent)}|{len(sent)}":
        fail(f"{prefix}: {rows} entries for {len(sent)} ids")
    twice = [call_id for call_id in acked if not resent[call_id][1]]
    if twice:
        fail(f"{prefix}: acknowledged, then charged again on resend: {twice[:3]}")


def test_kill_one_server(processes):
    bob_before = balance(SERVERS[1], "bob")[0]
    killed = {}

    def kill():
        pid = int(open(f"{DIR}/server1.pid").read())
        os.kill(pid, 9)
        killed["at"] = time.monotonic()

    sent, acked = under_load("kill", kill)
    resent = resend_all(sent, SERVERS[1])
    check_once("kill", sent, acked, resent)
    total = sum(cost for cost, _ in resent.values())
    fresh = sum(1 for _, duplicate in resent.values() if not duplicate)
    if settled(lambda: balance(SERVERS[1], "bob")[0] == bob_before - total) is None:
        fail(f"bob: {balance(SERVERS[1], 'bob')[0]}, expected {bob_before - total}")
    processes[0] = start_server(1)
    if settled(lambda: balance(SERVERS[0], "bob")[0] == bob_before - total, 5) is None:
        fail("the restarted server does not see bob's balance")
    ok(f"kill -9 of server 1 under load: {len(sent)} ids sent, {len(acked)} acknowledged, "
       f"{fresh} charged on resend through server 2, every id in PostgreSQL once; "
       f"server 1 restarted with the same balances")


def test_database_lost():
    bob_before = balance(SERVERS[0], "bob")[0]
    seen = {}

    def outage():
        pg_ctl("-m", "fast", "-w", "stop")
        time.sleep(0.6)
        seen["health"] = [request(a, "/healthz")[0] for a in ADMINS]
        seen["gauge"] = [metric(a, "ratel_ledger_unreachable") for a in ADMINS]
        seen["write"] = charge(SERVERS[0], "down-probe", "bob", 3)
        seen["read"] = request(SERVERS[1], "/v1/balance?account=bob")[0]
        seen["proxy_read"] = request(PROXY, "/billing/api/simple_balance/a1b2c3d4e5")[0]
        time.sleep(0.5)
        pg_ctl("-l", f"{DIR}/pg/log", "-w", "-o",
               f"-c listen_addresses='' -c unix_socket_directories='{DIR}/pg'", "start")
        seen["back"] = time.monotonic()

    sent, acked = under_load("down", outage, seconds=4.0)
    if seen["health"] != [503, 503]:
        fail(f"/healthz while PostgreSQL is down: {seen['health']}")
    if seen["gauge"] != ["1", "1"]:
        fail(f"ratel_ledger_unreachable while PostgreSQL is down: {seen['gauge']}")
    if seen["write"][0] != 503 or seen["write"][1] != {"error": "ledger unavailable"}:
        fail(f"a charge while PostgreSQL is down: {seen['write']}")
    if seen["read"] != 200 or seen["proxy_read"] != 200:
        fail(f"reads while PostgreSQL is down: {seen['read']}, {seen['proxy_read']}")
    for admin in ADMINS:
        if settled(lambda a=admin: request(a, "/healthz")[0] == 200, 10) is None:
            fail(f"{admin}/healthz after PostgreSQL came back")
    for admin in ADMINS:
        if settled(lambda a=admin: metric(a, "ratel_ledger_unreachable") == "0", 10) is None:
            fail(f"{admin} ratel_ledger_unreachable after PostgreSQL came back")
    resent = resend_all(sent, SERVERS[0])
    check_once("down", sent, acked, resent)
    total = sum(cost for cost, _ in resent.values())
    fresh = sum(1 for _, duplicate in resent.values() if not duplicate)
    for base in SERVERS:
        if settled(lambda b=base: balance(b, "bob")[0] == bob_before - total, 2) is None:
            fail(f"bob at {base}: {balance(base, 'bob')[0]}, expected {bob_before - total}")
    lost = len(sent) - len(acked) - fresh
    ok(f"PostgreSQL stopped for about 1 s under load: /healthz 503 on both, charges 503 "
       f"{{\"error\":\"ledger unavailable\"}}, ratel_ledger_unreachable 1, reads 200 (direct and through HAProxy); back "
       f"without a restart; {len(sent)} ids sent, {len(acked)} acknowledged, {fresh} "
       f"charged on resend, {lost} applied though their answer was lost; each once")


def main():
    if not PGBIN:
        fail("PostgreSQL is not installed (apt-get install postgresql)")
    try:
        cluster()
        processes = [None, None]
        test_charges_sum_exactly()
        test_sessions_never_over_reserve()
        test_seen_within_a_second()
        test_kill_one_server(processes)
        test_database_lost()
        print("cluster test passed")
    finally:
        cluster("stop")
        shutil.rmtree(DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
