"""Benchmarks of the pure functions called from Python, conversion included.

    python bindings-python/benches/bench_plan.py [--users 100000] [--contacts 100000]
        [--filter-users 1000000] [--repeat 3]

For each function it reports the best wall time of the named Python function (which reads its
input straight from the Python objects and writes its result straight into Python objects) and,
from one run, the phases of the generic `call` (Python objects to a JSON tree, the core's JSON
entry point, the tree back to Python objects). Compare the named
function's time with the Rust criterion figure of the same function. Data is synthetic and
deterministic: a realistic mix of linked, matching, new, disabled and excluded users.
"""

from __future__ import annotations

import argparse
import gc
import time
from typing import Any, Callable, Dict, List, Tuple

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


def core_time(function: str, inp: Any, repeat: int) -> Dict[str, float]:
    """The phases of one call, best of `repeat`: Python→JSON, the core, JSON→Python."""
    best: Dict[str, float] = {}
    for _ in range(repeat):
        gc.collect()
        phases = _native._call_phases(function, inp)
        for k, v in phases.items():
            best[k] = min(best.get(k, float("inf")), v)
    return best


def report(label: str, n_items: int, wall: float, phases: Dict[str, float]) -> None:
    core = phases["core"]
    generic = sum(phases.values())
    print(f"{label}")
    print(f"  named function (typed, no JSON):   {wall * 1000:9.1f} ms  ({n_items / wall:,.0f} items/s)")
    print(f"  generic call() through JSON:       {generic * 1000:9.1f} ms")
    print(f"    python -> JSON tree:             {phases['to_json'] * 1000:9.1f} ms")
    print(f"    core entry point (JSON in/out):  {core * 1000:9.1f} ms")
    print(f"    JSON tree -> python:             {phases['to_py'] * 1000:9.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--filter-users", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    users = make_users(args.users)
    contacts = make_contacts(args.contacts)
    plan_input = {
        "entraTenantId": TENANT,
        "clientId": CLIENT,
        "users": users,
        "listingComplete": True,
        "contacts": contacts,
        "links": make_links(contacts),
        "settings": {
            "fieldSync": {"displayName": True, "email": True, "phone": True, "jobTitle": True},
            "allowMassInactivation": True,
        },
    }
    wall, plan = best_of(args.repeat, lambda: entra_sync.plan_tenant_sync(plan_input))
    phases = core_time("plan_tenant_sync", plan_input, 1)
    report(
        f"plan_tenant_sync {args.users:,} users x {args.contacts:,} contacts "
        f"({len(plan['actions']):,} actions)",
        args.users,
        wall,
        phases,
    )

    del plan_input, users, contacts, plan
    gc.collect()
    filter_input = {
        "users": make_users(args.filter_users),
        "options": {"customExclusionPatterns": ["^svc-", "backup"], "includeGuests": False},
    }
    wall, out = best_of(args.repeat, lambda: entra_sync.filter_users(filter_input))
    phases = core_time("filter_users", filter_input, 1)
    report(
        f"filter_users {args.filter_users:,} users ({len(out['excluded']):,} excluded)",
        args.filter_users,
        wall,
        phases,
    )


if __name__ == "__main__":
    main()
