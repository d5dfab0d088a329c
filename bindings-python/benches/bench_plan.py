"""Benchmarks of the pure functions called from Python, conversion included, next to the pure
Rust time of the same call on the same data.

    python bindings-python/benches/bench_plan.py [--users 100000] [--contacts 100000]
        [--filter-users 1000000] [--repeat 3] [--no-rust]

For each function it reports:
- the best wall time of the named Python function (it reads its input straight from the Python
  objects and writes its result straight into Python objects);
- the pure Rust time: the script writes its inputs as JSON and runs
  `cargo bench -p entra-core --bench same_data`, which times the core function on that exact
  data in a plain Rust process (skipped with `--no-rust` or when cargo is missing);
- their ratio (the package's target: at most 2x);
- for the plan, the median time of `json.loads` parsing the same input as JSON text in the same
  process, next to the median time of the call (the two run in turn, one of each per round), and
  their ratio (the package's target: the call takes at most as long as parsing its input);
- from inside the call, the phases: reading the Python input, the core, writing the result.

The phases come from the native hook `_typed_phases`, which only a wheel built with the crate's
`test-hooks` feature has (`maturin build --release --features test-hooks -m
bindings-python/Cargo.toml`, or the wheel `scripts/test-python.sh` installs); release wheels
leave it out.

Data is synthetic and deterministic: a realistic mix of linked, matching, new, disabled and
excluded users.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import entra_sync
from entra_sync import _native

TENANT = "5f0c2b9a-0000-4000-8000-000000000001"
CLIENT = "client-1"


def make_users(n: int) -> List[Dict[str, Any]]:
    users = []
    for i in range(n):
        kind = i % 20
        user: Dict[str, Any] = {
            "entraTenantId": TENANT,
            "entraObjectId": f"00000000-0000-4000-8000-{i:012d}",
            "userPrincipalName": f"user{i}@contoso.com",
            "email": f"user{i}@contoso.com",
            "displayName": f"User Number {i}",
            "givenName": "User",
            "surname": f"Number {i}",
            "accountEnabled": kind != 3,
            "userType": "Guest" if kind == 7 else "Member",
            "jobTitle": "Engineer" if i % 2 else "Manager",
            "mobilePhone": f"+1 555 {i % 10000:04d}",
            "businessPhones": [f"+1 444 {i % 10000:04d}"],
            "otherMails": [],
            "proxyAddresses": [f"SMTP:user{i}@contoso.com", f"smtp:u{i}@contoso.net"],
            "assignedLicenseSkuIds": ["c42b9cae-ea4f-4ab7-9717-81576235ccac"],
        }
        if kind == 11:
            user["userPrincipalName"] = f"svc-backup{i}@contoso.com"
            user["displayName"] = "Backup Service Account"
        users.append(user)
    return users


def make_contacts(n: int) -> List[Dict[str, Any]]:
    contacts = []
    for i in range(n):
        # Most contacts match a user by email; some by alias; a tail has no user at all.
        if i % 10 == 9:
            email = f"former{i}@contoso.com"
        elif i % 10 == 8:
            email = f"u{i}@contoso.net"
        else:
            email = f"user{i}@contoso.com"
        contacts.append(
            {
                "contactId": f"c-{i}",
                "clientId": CLIENT,
                "email": email,
                "fullName": f"User Number {i}" if i % 3 else f"Old Name {i}",
                "role": "Engineer",
                "phoneNumbers": [{"number": f"+1 444 {i % 10000:04d}", "type": "work"}],
                "isInactive": False,
            }
        )
    return contacts


def make_links(contacts: List[Dict[str, Any]], share: float = 0.5) -> List[Dict[str, Any]]:
    links = []
    for i, c in enumerate(contacts):
        if i % 10 < share * 10 and i % 10 not in (8, 9):
            links.append(
                {
                    "entraTenantId": TENANT,
                    "entraObjectId": f"00000000-0000-4000-8000-{i:012d}",
                    "contactId": c["contactId"],
                    "clientId": CLIENT,
                    "active": True,
                }
            )
    return links


def best_of(repeat: int, fn: Callable[[], Any]) -> Tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def interleaved_medians(repeat: int, first: Callable[[], Any], second: Callable[[], Any]) -> Tuple[float, float]:
    """Median times of two functions run in turn (one of each per round), so both see the same
    load on a shared machine; freeing a result is not timed."""
    times: Tuple[List[float], List[float]] = ([], [])
    for _ in range(repeat):
        for fn, into in ((first, times[0]), (second, times[1])):
            gc.collect()
            start = time.perf_counter()
            result = fn()
            into.append(time.perf_counter() - start)
            del result
    return statistics.median(times[0]), statistics.median(times[1])


def dump(directory: str, name: str, value: Any) -> None:
    with open(os.path.join(directory, f"{name}.json"), "w", encoding="utf-8") as f:
        json.dump(value, f)


def rust_times(directory: str, repeat: int) -> Dict[str, float]:
    """Best pure Rust times on the inputs dumped in `directory`, from the `same_data` bench;
    empty when cargo is not available."""
    cargo = shutil.which("cargo")
    if cargo is None:
        print("(cargo not found: no pure Rust figures)")
        return {}
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [cargo, "bench", "-q", "-p", "entra-core", "--bench", "same_data", "--", directory, str(repeat)],
        cwd=root,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(label: str, n_items: int, wall: float, rust: Optional[float], phases: Dict[str, float]) -> None:
    print(label)
    print(f"  python call, conversion included: {wall * 1000:9.1f} ms  ({n_items / wall:,.0f} items/s)")
    if rust is not None:
        print(f"  pure Rust, same data:             {rust * 1000:9.1f} ms  -> ratio {wall / rust:.2f}x")
    print("  phases inside the call (best of the runs):")
    print(f"    read the python input:          {phases['read'] * 1000:9.1f} ms")
    print(f"    core function:                  {phases['core'] * 1000:9.1f} ms")
    print(f"    write the python result:        {phases['write'] * 1000:9.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--filter-users", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-rust", action="store_true", help="skip the pure Rust figures")
    args = parser.parse_args()
    if not hasattr(_native, "_typed_phases"):
        parser.error(
            "this entra_sync wheel has no benchmark hooks: build it with `--features test-hooks` "
            "(maturin build --release --features test-hooks -m bindings-python/Cargo.toml)"
        )
    results: List[Tuple[str, int, float, Dict[str, float]]] = []

    with tempfile.TemporaryDirectory(prefix="entra-bench-") as data:
        contacts = make_contacts(args.contacts)
        plan_input = {
            "entraTenantId": TENANT,
            "clientId": CLIENT,
            "users": make_users(args.users),
            "listingComplete": True,
            "contacts": contacts,
            "links": make_links(contacts),
            "settings": {
                "fieldSync": {"displayName": True, "email": True, "phone": True, "jobTitle": True},
                "allowMassInactivation": True,
            },
        }
        dump(data, "plan_tenant_sync", plan_input)
        wall, plan = best_of(args.repeat, lambda: entra_sync.plan_tenant_sync(plan_input))
        actions = len(plan["actions"])
        del plan
        phases = _native._typed_phases("plan_tenant_sync", plan_input, args.repeat)
        label = f"plan_tenant_sync {args.users:,} users x {args.contacts:,} contacts ({actions:,} actions)"
        results.append(("plan_tenant_sync", args.users, wall, phases))
        print(label)
        text = json.dumps(plan_input)
        parse, call = interleaved_medians(
            args.repeat, lambda: json.loads(text), lambda: entra_sync.plan_tenant_sync(plan_input)
        )
        del text
        print(
            f"  medians of {args.repeat}: json.loads of the input text {parse * 1000:.1f} ms, "
            f"plan_tenant_sync {call * 1000:.1f} ms -> {call / parse:.2f}x json.loads"
        )
        del plan_input, contacts
        gc.collect()

        filter_input = {
            "users": make_users(args.filter_users),
            "options": {"customExclusionPatterns": ["^svc-", "backup"], "includeGuests": False},
        }
        dump(data, "filter_users", filter_input)
        wall, out = best_of(args.repeat, lambda: entra_sync.filter_users(filter_input))
        excluded = len(out["excluded"])
        del out
        phases = _native._typed_phases("filter_users", filter_input, args.repeat)
        results.append(("filter_users", args.filter_users, wall, phases))
        print(f"filter_users {args.filter_users:,} users ({excluded:,} excluded)")
        del filter_input
        gc.collect()

        rust = {} if args.no_rust else rust_times(data, args.repeat)

    print()
    for function, n_items, wall, phases in results:
        report(function, n_items, wall, rust.get(function), phases)


if __name__ == "__main__":
    main()
